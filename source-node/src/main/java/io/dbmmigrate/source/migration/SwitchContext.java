package io.dbmmigrate.source.migration;

/**
 * What a {@link SwitchPolicy} sees after a hardware-mode round.
 *
 * @param round the round just finished
 * @param expectedDirtyPages pages the next sync is expected to collect (measured dirty rate × round
 *     duration)
 * @param hwScanNanos wall time of the last hardware scan
 * @param hwScanThreads threads that scan used
 * @param perFaultNanos measured cost of one write-permission fault (NaN while unknown)
 */
public record SwitchContext(
    int round, long expectedDirtyPages, long hwScanNanos, int hwScanThreads, double perFaultNanos) {

  /** CPU time of the last hardware scan: wall time × threads. */
  public double hwScanCpuNanos() {
    return (double) hwScanNanos * Math.max(1, hwScanThreads);
  }

  /** Software cost of one round: one fault per expected dirty page (NaN while unknown). */
  public double swRoundNanos() {
    return expectedDirtyPages * perFaultNanos;
  }
}
