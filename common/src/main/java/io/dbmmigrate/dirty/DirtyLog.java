package io.dbmmigrate.dirty;

/**
 * The dirty log of one VM (what the migration engine drives). The gfn bitmaps passed in are indexed
 * by guest frame number: bit {@code gfn & 63} of word {@code gfn >>> 6}, sized for {@code
 * GuestMemory.gfnLimit()} bits.
 *
 * <p>Harvest contract (the engine relies on it): when {@link #sync} or {@link #switchToSoftware}
 * returns, every page it reported has been write-protected again and the TLB invalidation has
 * completed, so every store that used the old writable translation is visible. Copying the reported
 * pages after the return is therefore safe: a store that lands after the copy makes the page dirty
 * again in the next sync. Only pages of writable slots are ever reported.
 */
public interface DirtyLog {
  /**
   * Starts logging in {@code mode} (SW or HW). Every page counts as dirty from here on only when it
   * is written; the caller sends all pages once (round 0) itself.
   */
  void enable(DirtyLogMode mode, DirtyLogOptions options);

  /** The current mode (OFF when disabled). */
  DirtyLogMode mode();

  /**
   * Collects the pages dirtied since the previous sync into {@code gfnBitmap} (OR). The bitmap
   * belongs to the call until it returns: no other thread may read or write it meanwhile (the
   * parallel scan updates its words with plain stores).
   */
  SyncStats sync(long[] gfnBitmap);

  /**
   * HW → SW: clears VTCR.HD, kicks every vCPU so it reloads it, then harvests with one last HW scan
   * into {@code gfnBitmap}. From then on writes fault and are logged in software, and {@link
   * #sync} costs O(dirty pages). A no-op returning empty stats in SW mode.
   */
  SyncStats switchToSoftware(long[] gfnBitmap);

  /** Stops logging: PTEs made writable again (or left to fault lazily), DBM cleared, HD off. */
  void disable();

  /** Changes the scan thread count for later HW syncs. */
  void setScanThreads(int threads);

  /**
   * Manual-clear mode ({@link DirtyLogOptions#manualClear()}, KVM_GET_DIRTY_LOG with
   * MANUAL_DIRTY_LOG_PROTECT): ORs into {@code gfnBitmap} every page logged dirty and not yet
   * cleared, without write-protecting anything (HW mode first scans for hardware-dirty PTEs). The
   * reported pages are not yet safe to copy: call {@link #clearDirtyLog} for them first.
   */
  default SyncStats getDirtyLog(long[] gfnBitmap) {
    throw new UnsupportedOperationException("manual dirty-log clear not supported");
  }

  /**
   * KVM_CLEAR_DIRTY_LOG: clears the log bits of the pages set in {@code gfnMask}, then
   * write-protects exactly those pages and invalidates the TLB. On return copying them is safe (the
   * harvest contract above): a later store makes the page dirty again.
   */
  default SyncStats clearDirtyLog(long[] gfnMask) {
    throw new UnsupportedOperationException("manual dirty-log clear not supported");
  }
}
