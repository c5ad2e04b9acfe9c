package io.dbmmigrate.dirty;

/**
 * What one dirty-log sync did.
 *
 * @param mode the mode the sync ran in (HW for the harvest scan of a switch)
 * @param dirtyPages pages newly collected into the caller's bitmap
 * @param ptesVisited page-table entries (or bitmap words, in SW mode: pages) the sync touched;
 *     O(guest memory) for a HW scan, O(dirty pages) for a SW sync
 * @param nanos wall time of the sync, including write-protect and TLB invalidation
 * @param threads scan threads used
 */
public record SyncStats(DirtyLogMode mode, long dirtyPages, long ptesVisited, long nanos, int threads) {
  public double millis() {
    return nanos / 1e6;
  }
}
