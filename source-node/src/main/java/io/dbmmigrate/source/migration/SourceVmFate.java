package io.dbmmigrate.source.migration;

/** Where the VM is after a migration attempt, from the source's point of view. */
public enum SourceVmFate {
  /** The migration did not complete: the VM runs on the source (dirty logging off). */
  STAYS_ON_SOURCE,
  /** The VM runs on the destination: the source's copy is stopped for good and may be closed. */
  MOVED,
  /**
   * The commit's answer was lost and the destination could not be asked: the VM stays paused on the
   * source so that it can never run twice. An operator decides.
   */
  PAUSED_OUTCOME_UNKNOWN,
  /**
   * Verify-only commit matched: the VM runs on the source; the destination holds a paused copy.
   */
  VERIFIED_STAYS_ON_SOURCE
}
