package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one {@link PerfProbeMain} run measured, in milliseconds, as its {@code RESULT} line keys
 * (the perf columns of {@link Outputs}): populate and enable once; per iteration the guest's
 * dirty-memory time, get-log and clear-log, summarized as the first iteration (every page clean
 * after enable) and the mean over all iterations; the pages each harvest reported (mean); the
 * oracle's lost pages and the device's writes. {@code clearLog} is null for modes whose one harvest
 * collects and re-protects (ring, hdbss, combined): their clear columns are absent, not zero.
 */
record PerfSummary(
    double populateMillis,
    double enableMillis,
    double dirtyMemoryMillisFirst,
    double dirtyMemoryMillisMean,
    double getLogMillisFirst,
    double getLogMillisMean,
    Double clearLogMillisFirst,
    Double clearLogMillisMean,
    double harvestedPagesMean,
    long lostPages,
    long deviceWrites) {

  static PerfSummary of(
      long populateNanos, long enableNanos, long[] dirtyMemoryNanos, long[] getLogNanos, long[] clearLogNanos,
      long[] harvestedPages, long lostPages, long deviceWrites) {
    int n = dirtyMemoryNanos.length;
    if (n == 0 || getLogNanos.length != n || harvestedPages.length != n || (clearLogNanos != null && clearLogNanos.length != n))
      throw new IllegalArgumentException("one value per iteration, at least one iteration");
    return new PerfSummary(
        ms(populateNanos), ms(enableNanos), ms(dirtyMemoryNanos[0]), ms(mean(dirtyMemoryNanos)), ms(getLogNanos[0]),
        ms(mean(getLogNanos)), clearLogNanos == null ? null : ms(clearLogNanos[0]),
        clearLogNanos == null ? null : ms(mean(clearLogNanos)), mean(harvestedPages), lostPages, deviceWrites);
  }

  List<String> resultLines() {
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT, "RESULT populate_ms=%.4f enable_ms=%.4f", populateMillis, enableMillis));
    out.add(String.format(Locale.ROOT, "RESULT dirty_memory_ms_first=%.4f dirty_memory_ms_mean=%.4f",
        dirtyMemoryMillisFirst, dirtyMemoryMillisMean));
    out.add(String.format(Locale.ROOT, "RESULT get_log_ms_first=%.4f get_log_ms_mean=%.4f", getLogMillisFirst,
        getLogMillisMean));
    if (clearLogMillisMean != null)
      out.add(String.format(Locale.ROOT, "RESULT clear_log_ms_first=%.4f clear_log_ms_mean=%.4f", clearLogMillisFirst,
          clearLogMillisMean));
    out.add(String.format(Locale.ROOT, "RESULT harvested_pages_mean=%.1f lost_pages=%d device_writes=%d",
        harvestedPagesMean, lostPages, deviceWrites));
    return out;
  }

  private static double mean(long[] v) {
    double s = 0;
    for (long x : v) s += x;
    return s / v.length;
  }

  private static double ms(double nanos) {
    return nanos / 1e6;
  }
}
