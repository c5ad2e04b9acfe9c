package io.dbmmigrate.source.migration;

import io.dbmmigrate.report.LatencyPercentiles;
import org.HdrHistogram.Histogram;

/**
 * The dirty-log sync time of every round that synced (harvest or switch, the final round
 * included), as an HdrHistogram in microseconds (1 µs .. 1 h, two significant digits; larger values
 * are clamped). Controller thread only.
 */
final class SyncTimeHistogram {
  static final long HIGHEST_MICROS = 3_600_000_000L;

  private final Histogram micros = new Histogram(1, HIGHEST_MICROS, BatchSendLatency.DIGITS);

  void recordMillis(double millis) {
    long us = Math.round(millis * 1000);
    micros.recordValue(Math.max(1, Math.min(HIGHEST_MICROS, us)));
  }

  LatencyPercentiles percentiles() {
    return LatencyPercentiles.ofMicros(micros);
  }
}
