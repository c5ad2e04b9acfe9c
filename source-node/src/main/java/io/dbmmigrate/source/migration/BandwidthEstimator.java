package io.dbmmigrate.source.migration;

import io.dbmmigrate.wire.PageBatchFormat;

/**
 * Measured transfer bandwidth and the downtime estimate derived from it: remaining bytes / measured
 * bandwidth.
 *
 * <p>Bandwidth is measured in uncompressed payload bytes (what the page records occupy before LZ4)
 * per second of send time, over the most recent rounds that together sent at least {@link
 * #WINDOW_BYTES} (or all rounds when fewer): small rounds alone are dominated by per-round
 * latency, while a window reacts to a bandwidth cap changed at run time. Remaining pages are
 * costed as full records (a dirty page is rarely a zero page). Single-threaded (the controller's).
 */
public final class BandwidthEstimator {
  static final long WINDOW_BYTES = 64L << 20;
  private static final int MAX_ROUNDS_KEPT = 64;

  private final long[] bytes = new long[MAX_ROUNDS_KEPT];
  private final long[] nanos = new long[MAX_ROUNDS_KEPT];
  private int count;

  /** Records one round's transfer. */
  public void record(long rawBytes, long sendNanos) {
    if (sendNanos <= 0) return;
    int i = count % MAX_ROUNDS_KEPT;
    bytes[i] = rawBytes;
    nanos[i] = sendNanos;
    count++;
  }

  /** Bytes per second over the recent window; NaN before the first round. */
  public double bytesPerSec() {
    long b = 0;
    long n = 0;
    int kept = Math.min(count, MAX_ROUNDS_KEPT);
    for (int k = 0; k < kept && b < WINDOW_BYTES; k++) {
      int i = Math.floorMod(count - 1 - k, MAX_ROUNDS_KEPT);
      b += bytes[i];
      n += nanos[i];
    }
    return n == 0 ? Double.NaN : b * 1e9 / n;
  }

  /** Estimated time to send {@code pages} dirty pages, in ms; NaN before the first round. */
  public double estimateMillis(long pages) {
    double bw = bytesPerSec();
    if (!(bw > 0)) return Double.NaN;
    return pages * (double) PageBatchFormat.FULL_RECORD_BYTES / bw * 1000.0;
  }

  /** Bytes a page costs in the estimate. */
  public static int bytesPerPage() {
    return PageBatchFormat.FULL_RECORD_BYTES;
  }
}
