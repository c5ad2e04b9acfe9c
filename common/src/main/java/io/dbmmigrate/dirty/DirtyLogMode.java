package io.dbmmigrate.dirty;

/** How dirty pages are tracked. */
public enum DirtyLogMode {
  /** Off: nothing is tracked. */
  OFF,
  /** Software: write-protect + permission fault marks the bitmap. */
  SW,
  /** Hardware DBM: the "hardware" sets the write bit; syncs scan all leaf PTEs in parallel. */
  HW,
  /**
   * KVM dirty ring: write-protect faults push the gfn into the faulting vCPU's ring; a ring at its
   * soft limit makes the vCPU exit, and the exit reaps every ring (QEMU's
   * KVM_EXIT_DIRTY_RING_FULL handling); syncs reap the rings. O(dirty pages), one fault per page.
   */
  RING,
  /**
   * Armv9.5 FEAT_HDBSS: DBM on every writable PTE, and the hardware appends the gfn of the first
   * write to a clean granule to the vCPU's buffer, without a fault; a full buffer is an exit that
   * drains it. Syncs drain the buffers: O(dirty pages), no scan, no fault.
   */
  HDBSS,
  /**
   * The SW/HW combined log (Keqian Zhu 2021, Shameer Kolothum 2023): DBM off at start; a write
   * fault logs the page and arms DBM on its aligned 64-page neighbourhood; syncs scan only armed
   * neighbourhoods.
   */
  COMBINED;

  /** Modes in which the hardware sets write bits (VTCR.HD on): a switch to SW is meaningful. */
  public boolean hardware() {
    return this == HW || this == HDBSS || this == COMBINED;
  }

  /** The mode's name on the command line and in reports. */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
