package io.dbmmigrate.report;

/**
 * One sample of guest write throughput, for the "throughput over time with the switch marked" plot.
 *
 * @param tMillis time since the migration started (negative: during warm-up)
 * @param guestWritesPerSec guest stores per second over the sample interval
 * @param phase "warmup", "setup", "full", "hw", "sw", "paused", "commit" or "after" (destination)
 */
public record TimelineSample(double tMillis, double guestWritesPerSec, String phase) {}
