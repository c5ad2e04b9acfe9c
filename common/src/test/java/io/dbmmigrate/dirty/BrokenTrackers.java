package io.dbmmigrate.dirty;

/**
 * The deliberately broken trackers of the ring, HDBSS and combined modes and the log that forgets
 * the device bitmap, for tests only (this class lives in the test tree, the enum behind it is
 * package-private). Public so that the node modules' end-to-end tests can reach it through the
 * common test jar.
 */
public final class BrokenTrackers {
  private BrokenTrackers() {}

  /** Ring: a harvest collects and resets the entries but does not re-protect the pages. */
  public static ScanVariant ringResetWithoutReprotect() {
    return ScanVariant.of(ScanVariant.Broken.RING_RESET_WITHOUT_REPROTECT);
  }

  /** HDBSS: a buffer-full exit resets the buffer without draining it. */
  public static ScanVariant hdbssFullDropsBuffer() {
    return ScanVariant.of(ScanVariant.Broken.HDBSS_FULL_DROPS_BUFFER);
  }

  /** Combined: a fault arms DBM on the neighbourhood without marking it for the scan. */
  public static ScanVariant combinedArmsWithoutMarking() {
    return ScanVariant.of(ScanVariant.Broken.COMBINED_ARMS_WITHOUT_MARKING);
  }

  /** Every mode: syncs forget the device bitmap. */
  public static ScanVariant forgetsDeviceBitmap() {
    return ScanVariant.of(ScanVariant.Broken.FORGETS_DEVICE_BITMAP);
  }
}
