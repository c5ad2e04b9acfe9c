package io.dbmmigrate.dirty;

/** The deliberately broken HW scans, for tests only (the enum behind them is package-private). */
final class BrokenScans {
  private BrokenScans() {}

  /** Clears the write bit with a plain read and store instead of a CAS. */
  static ScanVariant clearByPlainStore() {
    return ScanVariant.of(ScanVariant.Broken.CLEAR_BY_PLAIN_STORE);
  }

  /** Skips the partial last chunk of a multi-chunk scan. */
  static ScanVariant skipsPartialLastChunk() {
    return ScanVariant.of(ScanVariant.Broken.SKIPS_PARTIAL_LAST_CHUNK);
  }
}
