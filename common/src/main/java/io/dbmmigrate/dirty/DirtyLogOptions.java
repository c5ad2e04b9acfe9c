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
 * @param ringEntries RING: entries per vCPU ring (a power of two ≥ 64; KVM's
 *     dirty-ring-size / 16 bytes per entry; QEMU's default dirty-ring-size 4096 entries)
 * @param hdbssEntries HDBSS: entries per vCPU buffer (a power of two ≥ 64; the KVM patches
 *     size it with HDBSSBR_EL2.SZ, 4 KiB to 2 MiB of 8-byte entries; default 4 KiB = 512)
 * @param dirtyLimitMbps QEMU's dirty-limit: per-vCPU cap in MB/s enforced at fault, ring-full
 *     and buffer-full exits; 0 = off
 */
public record DirtyLogOptions(
    int scanThreads,
    long scanChunkBytes,
    boolean initiallyAllSet,
    boolean manualClear,
    int ringEntries,
    int hdbssEntries,
    double dirtyLimitMbps) {
  public static final long DEFAULT_SCAN_CHUNK_BYTES = 512L << 20;
  /** QEMU's {@code -accel kvm,dirty-ring-size=4096}, the size its documentation suggests. */
  public static final int DEFAULT_RING_ENTRIES = 4096;
  /** One 4 KiB page of 8-byte HDBSS entries (HDBSSBR_EL2.SZ = 0). */
  public static final int DEFAULT_HDBSS_ENTRIES = 512;

  public DirtyLogOptions {
    if (scanThreads < 1) throw new IllegalArgumentException("scanThreads must be >= 1");
    if (scanChunkBytes < 4096 || Long.bitCount(scanChunkBytes) != 1)
      throw new IllegalArgumentException("scanChunkBytes must be a power of two >= 4096");
    if (initiallyAllSet && !manualClear)
      throw new IllegalArgumentException("initiallyAllSet requires manualClear");
    if (ringEntries < 64 || Integer.bitCount(ringEntries) != 1)
      throw new IllegalArgumentException("ring entries must be a power of two >= 64, not " + ringEntries);
    if (hdbssEntries < 64 || Integer.bitCount(hdbssEntries) != 1)
      throw new IllegalArgumentException("HDBSS entries must be a power of two >= 64, not " + hdbssEntries);
    if (!(dirtyLimitMbps >= 0) || Double.isInfinite(dirtyLimitMbps))
      throw new IllegalArgumentException("dirty limit must be >= 0 MB/s");
  }

  public DirtyLogOptions(
      int scanThreads, long scanChunkBytes, boolean initiallyAllSet, boolean manualClear) {
    this(scanThreads, scanChunkBytes, initiallyAllSet, manualClear, DEFAULT_RING_ENTRIES,
        DEFAULT_HDBSS_ENTRIES, 0);
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
    return new DirtyLogOptions(threads, scanChunkBytes, initiallyAllSet, manualClear, ringEntries,
        hdbssEntries, dirtyLimitMbps);
  }

  public DirtyLogOptions withScanChunkBytes(long bytes) {
    return new DirtyLogOptions(scanThreads, bytes, initiallyAllSet, manualClear, ringEntries,
        hdbssEntries, dirtyLimitMbps);
  }

  public DirtyLogOptions withManualClear(boolean manual, boolean allSet) {
    return new DirtyLogOptions(scanThreads, scanChunkBytes, allSet, manual, ringEntries,
        hdbssEntries, dirtyLimitMbps);
  }

  /** Ring and HDBSS buffer sizes (entries per vCPU). */
  public DirtyLogOptions withBuffers(int ring, int hdbss) {
    return new DirtyLogOptions(scanThreads, scanChunkBytes, initiallyAllSet, manualClear, ring,
        hdbss, dirtyLimitMbps);
  }

  /** QEMU's dirty-limit, MB/s per vCPU (0 = off). */
  public DirtyLogOptions withDirtyLimit(double mbps) {
    return new DirtyLogOptions(scanThreads, scanChunkBytes, initiallyAllSet, manualClear,
        ringEntries, hdbssEntries, mbps);
  }
}
