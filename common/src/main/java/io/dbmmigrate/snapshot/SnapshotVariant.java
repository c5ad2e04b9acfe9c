package io.dbmmigrate.snapshot;

/**
 * Deliberately broken snapshots, so that the tests of the correct one prove they can fail.
 */
public enum SnapshotVariant {
  CORRECT,
  /** Hashes the live memory without write-protecting it: guest writes during hashing leak in. */
  NO_WRITE_PROTECT
}
