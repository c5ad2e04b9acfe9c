package io.dbmmigrate.dirty;

/**
 * Which HW scan (and which harvest of the other trackers) a dirty log gets. Production code can only name {@link #CORRECT}; the broken
 * scans are reachable from tests only (through the package-private {@link Broken}), to prove
 * that the tests catch them.
 */
public final class ScanVariant {
  public static final ScanVariant CORRECT = new ScanVariant(Broken.NONE);

  /** Deliberately broken scans. */
  enum Broken {
    NONE,
    /**
     * The write bit of a hardware-dirty PTE is cleared with a plain read and a plain store of the
     * value read minus S2AP[1], not a CAS: it undoes a racing AF clear of host aging and brings
     * back a PTE that the host has just unmapped.
     */
    CLEAR_BY_PLAIN_STORE,
    /** A scan on more than one chunk skips the last chunk when it is a partial one. */
    SKIPS_PARTIAL_LAST_CHUNK,
    /** Ring: a harvest collects and resets the ring entries but does not re-protect the pages. */
    RING_RESET_WITHOUT_REPROTECT,
    /** HDBSS: a buffer-full exit resets the buffer without draining its entries into the log. */
    HDBSS_FULL_DROPS_BUFFER,
    /** Combined: a fault arms DBM on the neighbourhood but does not mark it for the scan. */
    COMBINED_ARMS_WITHOUT_MARKING,
    /** Every mode: syncs forget the device (DMA) bitmap. */
    FORGETS_DEVICE_BITMAP
  }

  final Broken broken;

  private ScanVariant(Broken broken) {
    this.broken = broken;
  }

  static ScanVariant of(Broken broken) {
    return broken == Broken.NONE ? CORRECT : new ScanVariant(broken);
  }

  @Override
  public String toString() {
    return broken.name();
  }
}
