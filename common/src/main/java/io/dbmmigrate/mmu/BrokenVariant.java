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
  REPLACE_WITHOUT_SAVING_DIRTY,
  /**
   * A translation fault maps every page with the tracker's attributes, ROM included: in HW mode a
   * never-mapped ROM page gets DBM, and the "hardware" then makes it writable.
   */
  ROM_DBM_ON_TRANSLATION_FAULT,
  /**
   * A host split of a 2 MiB block write-protects its pages ("clean" copies of the block) without
   * recording anything: a hardware-dirty block's dirty state is dropped.
   */
  SPLIT_DROPS_DIRTY
}
