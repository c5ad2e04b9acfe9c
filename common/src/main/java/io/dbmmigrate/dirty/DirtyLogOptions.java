package io.dbmmigrate.dirty;

/**
 * Options for enabling the dirty log.
 *
 * @param scanThreads threads for a HW scan (≥ 1)
 * @param scanChunkBytes guest memory per scan task per iteration (default 512 MiB)
 * @param initiallyAllSet KVM_DIRTY_LOG_INITIALLY_SET: every page starts dirty and the up-front
 *     write-protect of the whole slot is skipped (pages are write-protected as they are cleared)
 */
public record DirtyLogOptions(int scanThreads, long scanChunkBytes, boolean initiallyAllSet) {
  public static final long DEFAULT_SCAN_CHUNK_BYTES = 512L << 20;

  public DirtyLogOptions {
    if (scanThreads < 1) throw new IllegalArgumentException("scanThreads must be >= 1");
    if (scanChunkBytes < 4096 || Long.bitCount(scanChunkBytes) != 1)
      throw new IllegalArgumentException("scanChunkBytes must be a power of two >= 4096");
  }

  public static DirtyLogOptions defaults() {
    return new DirtyLogOptions(
        Runtime.getRuntime().availableProcessors(), DEFAULT_SCAN_CHUNK_BYTES, false);
  }
}
