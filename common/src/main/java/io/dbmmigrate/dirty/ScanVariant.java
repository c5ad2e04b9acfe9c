package io.dbmmigrate.dirty;

/**
 * Which HW scan a dirty log gets. Production code can only name {@link #CORRECT}; the broken
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
    SKIPS_PARTIAL_LAST_CHUNK
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
