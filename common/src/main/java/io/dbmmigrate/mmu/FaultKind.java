package io.dbmmigrate.mmu;

/**
 * The events on which the MMU asks its {@link DirtyTracker} what to do with a PTE of a writable
 * slot. ROM never reaches a tracker: its pages are mapped read-only without DBM by the MMU itself
 * (the invariant "only writable PTEs get DBM" is kept below the tracker, not by each mode).
 */
public enum FaultKind {
  /** Translation fault on a write: a new page PTE; {@link FaultResponse#set} are its attributes. */
  WRITE_MAP,
  /** Permission fault on a write-protected page: the edit that makes it writable. */
  WRITE_PROTECTED,
  /**
   * Permission fault on a write-protected 2 MiB block while the tracker maps no blocks: the block
   * is split and {@link FaultResponse#set} is added to each of its 512 pages (then the faulting
   * page is handled as {@link #WRITE_PROTECTED}).
   */
  SPLIT,
  /** A page mapped ahead of use (pre-fault, populate): clean, no write happened. */
  PREFAULT,
  /**
   * A host remap of a replaced PTE (page migration, reclaim): {@link FaultResponse#clear} is
   * cleared from the old attributes; the recorder saves a hardware-dirty state of the old PTE.
   */
  REMAP
}
