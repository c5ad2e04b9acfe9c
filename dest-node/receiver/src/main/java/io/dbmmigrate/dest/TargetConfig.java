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
 * @param maxGuestBytes the largest guest (all slots) a source may ask this node to allocate; a
 *     larger layout is refused (INVALID_ARGUMENT) before anything is allocated
 */
public record TargetConfig(
    boolean allowTestFaults,
    int maxBatchBytes,
    int maxStreams,
    long sessionIdleTimeoutMillis,
    MachineTuning tuning,
    long maxGuestBytes) {
  public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;
  /** 256 GiB: four times the largest guest the experiments use (64 GiB). */
  public static final long DEFAULT_MAX_GUEST_BYTES = 256L << 30;

  /** With the default guest-size limit. */
  public TargetConfig(
      boolean allowTestFaults, int maxBatchBytes, int maxStreams, long sessionIdleTimeoutMillis, MachineTuning tuning) {
    this(allowTestFaults, maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, tuning, DEFAULT_MAX_GUEST_BYTES);
  }

  /**
   * The largest gRPC message the destination accepts (the server's maxInboundMessageSize): the
   * largest batch plus room for its fields and compression overhead. Anything larger is refused
   * by the transport with RESOURCE_EXHAUSTED before it is buffered.
   */
  public int maxInboundMessageBytes() {
    return maxBatchBytes + (1 << 20);
  }

  public static TargetConfig defaults() {
    return new TargetConfig(false, DEFAULT_MAX_BATCH_BYTES, 64, 30_000, MachineTuning.defaults());
  }
}
