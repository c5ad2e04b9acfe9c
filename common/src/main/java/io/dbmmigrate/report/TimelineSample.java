package io.dbmmigrate.report;

/**
 * One sample of guest write throughput, for the "throughput over time with the switch marked" plot.
 *
 * @param tMillis time since the migration started (negative: during warm-up)
 * @param guestWritesPerSec guest stores per second over the sample interval
 * @param phase "warmup", "setup", "full", "hw", "sw", "paused", "commit", "postcopy" (measured on
 *     the destination between a post-copy resume and its last page) or "after" (destination)
 */
public record TimelineSample(double tMillis, double guestWritesPerSec, String phase) {
  /** Sampling period of the guest's write rate, on the source and on a post-copy destination. */
  public static final long SAMPLE_PERIOD_MILLIS = 100;
}
