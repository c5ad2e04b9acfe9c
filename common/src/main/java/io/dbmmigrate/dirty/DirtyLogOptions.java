package io.dbmmigrate.dirty;

/**
 * Options for enabling the dirty log.
 *
 * @param scanThreads threads for a HW scan (≥ 1)
 * @param scanChunkBytes guest memory per scan task per iteration (default 512 MiB)
 * @param initiallyAllSet KVM_DIRTY_LOG_INITIALLY_SET: every page starts dirty and the up-front
 *     write-protect of the whole slot is skipped (pages are write-protected as they are cleared);
 *     requires {@code manualClear}
 * @param manualClear KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: {@link DirtyLog#getDirtyLog} and {@link
 *     DirtyLog#clearDirtyLog} are separate; {@link DirtyLog#sync} then does both
 */
public record DirtyLogOptions(
    int scanThreads, long scanChunkBytes, boolean initiallyAllSet, boolean manualClear) {
  public static final long DEFAULT_SCAN_CHUNK_BYTES = 512L << 20;

  public DirtyLogOptions {
    if (scanThreads < 1) throw new IllegalArgumentException("scanThreads must be >= 1");
    if (scanChunkBytes < 4096 || Long.bitCount(scanChunkBytes) != 1)
      throw new IllegalArgumentException("scanChunkBytes must be a power of two >= 4096");
    if (initiallyAllSet && !manualClear)
      throw new IllegalArgumentException("initiallyAllSet requires manualClear");
  }

  /** Without manual clear unless {@code initiallyAllSet} (which implies it). */
  public DirtyLogOptions(int scanThreads, long scanChunkBytes, boolean initiallyAllSet) {
    this(scanThreads, scanChunkBytes, initiallyAllSet, initiallyAllSet);
  }

  public static DirtyLogOptions defaults() {
    return new DirtyLogOptions(
        Runtime.getRuntime().availableProcessors(), DEFAULT_SCAN_CHUNK_BYTES, false);
  }

  public DirtyLogOptions withScanThreads(int threads) {
    return new DirtyLogOptions(threads, scanChunkBytes, initiallyAllSet, manualClear);
  }

  public DirtyLogOptions withScanChunkBytes(long bytes) {
    return new DirtyLogOptions(scanThreads, bytes, initiallyAllSet, manualClear);
  }

  public DirtyLogOptions withManualClear(boolean manual, boolean allSet) {
    return new DirtyLogOptions(scanThreads, scanChunkBytes, allSet, manual);
  }
}
