package io.dbmmigrate.dest;

import io.dbmmigrate.machine.MachineTuning;

/**
 * Settings of the receiving side.
 *
 * @param allowTestFaults accept the test-only fault injection of SessionOptions.test_corrupt_gfn
 * @param maxBatchBytes largest uncompressed batch accepted
 * @param maxStreams most parallel page streams a session may announce
 * @param sessionIdleTimeoutMillis a session that receives nothing for this long is discarded (the
 *     source is presumed dead)
 * @param tuning tuning of the simulated machine created for an incoming VM
 */
public record TargetConfig(
    boolean allowTestFaults,
    int maxBatchBytes,
    int maxStreams,
    long sessionIdleTimeoutMillis,
    MachineTuning tuning) {
  public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;

  public static TargetConfig defaults() {
    return new TargetConfig(false, DEFAULT_MAX_BATCH_BYTES, 64, 30_000, MachineTuning.defaults());
  }
}
