package io.dbmmigrate.dirty;

/**
 * Where the time of one parallel HW scan went, per scan thread (thread 0 is the caller): when it
 * claimed its first chunk and finished its last, relative to the start of the scan, and how many
 * chunks it scanned; plus the whole sync's time after the scan (lock, log bitmap, invalidation).
 * A diagnostic of the scan benchmark (a late second thread shows as a large {@code startNanos[1]}
 * and few chunks); written by the scanner at the end of each scan, a few stores per thread.
 *
 * @param threads scan threads used
 * @param startNanos per thread: first chunk claimed, ns after the scan started (-1: none)
 * @param endNanos per thread: last chunk finished, ns after the scan started
 * @param chunks per thread: chunks scanned
 * @param cpuNanos per thread: CPU time it got between its start and end (-1: not measurable);
 *     far below {@code end - start} means the thread was runnable but had no CPU (another
 *     process, or the other scan thread on the same core)
 * @param scanNanos the scan, from start to the caller's return from the join
 */
public record ScanProfile(
    int threads, long[] startNanos, long[] endNanos, int[] chunks, long[] cpuNanos, long scanNanos) {
  public static final ScanProfile NONE =
      new ScanProfile(0, new long[0], new long[0], new int[0], new long[0], 0);

  /** Thread t's CPU time over its wall time from first claim to end (1 = it always had a core). */
  public double onCpuShare(int t) {
    long wall = endNanos[t] - Math.max(0, startNanos[t]);
    return startNanos[t] < 0 || cpuNanos[t] < 0 || wall <= 0 ? Double.NaN : (double) cpuNanos[t] / wall;
  }

  /** One line: {@code t0 start..end chunks | t1 ...}, in microseconds. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (int t = 0; t < threads; t++) {
      if (t > 0) sb.append(" | ");
      sb.append('t').append(t).append(' ')
          .append(startNanos[t] < 0 ? "-" : String.valueOf(startNanos[t] / 1000)).append("..")
          .append(endNanos[t] / 1000).append(" us ").append(chunks[t]).append(" chunks, on cpu ")
          .append(Math.round(100 * onCpuShare(t))).append(" %");
    }
    return sb.append(" (scan ").append(scanNanos / 1000).append(" us)").toString();
  }
}
