package io.dbmmigrate.mmu;

/**
 * Deliberately broken MMU behaviours, to prove the stress tests can fail. Package-private: only
 * code in {@code io.dbmmigrate.mmu} (the test helper {@code BrokenMmus} in the test tree) can pick
 * one, through {@link MmuVariant}.
 */
enum BrokenVariant {
  /** The real MMU. */
  NONE,
  /** TLB invalidation returns without waiting for stores in flight on an old translation. */
  INVALIDATION_DOES_NOT_WAIT,
  /** Page aging clears AF with a plain read-modify-write store instead of a CAS. */
  AF_CLEAR_PLAIN_STORE,
  /** Unmap/remap replaces a PTE without first saving its hardware-dirty state. */
  REPLACE_WITHOUT_SAVING_DIRTY
}
