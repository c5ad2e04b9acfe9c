package io.dbmmigrate.report;

import org.HdrHistogram.AbstractHistogram;

/**
 * A distribution summarised as its count, median, 99th percentile and maximum, in milliseconds (an
 * HdrHistogram's values; each is the histogram's highest value equivalent to the recorded one, so
 * it is exact to the histogram's precision, e.g. 1 % at two significant digits).
 *
 * @param count values recorded
 * @param p50Millis median
 * @param p99Millis 99th percentile
 * @param maxMillis largest value
 */
public record LatencyPercentiles(long count, double p50Millis, double p99Millis, double maxMillis) {
  public static final LatencyPercentiles EMPTY = new LatencyPercentiles(0, 0, 0, 0);

  /** The percentiles of a histogram whose values are microseconds. */
  public static LatencyPercentiles ofMicros(AbstractHistogram h) {
    if (h.getTotalCount() == 0) return EMPTY;
    return new LatencyPercentiles(
        h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0);
  }

  /** "p50 / p99 / max ms (n)" for the console. */
  public String describe() {
    return String.format(
        java.util.Locale.ROOT, "p50 %.3f / p99 %.3f / max %.3f ms  (n=%d)", p50Millis, p99Millis, maxMillis, count);
  }
}
