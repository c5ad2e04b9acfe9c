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
 * @param maxInflightBytes the node-wide {@link InboundBudget}: heap for inbound messages in hand
 *     and the working memory of open page streams (RESOURCE_EXHAUSTED beyond it)
 * @param maxVerifyMillis the longest a Commit may hash guest memory; beyond it the commit stops,
 *     the session is discarded, and the caller gets DEADLINE_EXCEEDED
 * @param minWarmUpBytes the least page-path warm-up payload a session offers a source, whatever
 *     the guest's size (see {@link #warmUpBytesFor})
 */
public record TargetConfig(
    boolean allowTestFaults,
    int maxBatchBytes,
    int maxStreams,
    long sessionIdleTimeoutMillis,
    MachineTuning tuning,
    long maxGuestBytes,
    long maxInflightBytes,
    long maxVerifyMillis,
    long minWarmUpBytes) {
  public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;
  /** 256 GiB: four times the largest guest the experiments use (64 GiB). */
  public static final long DEFAULT_MAX_GUEST_BYTES = 256L << 30;
  /** 10 minutes: about 100-250 GiB at the 2.2-5.9 s per GiB measured on a loaded 2-core machine (docs/RELIABILITY.md). */
  public static final long DEFAULT_MAX_VERIFY_MILLIS = 600_000;
  /**
   * 16 GiB: on the 2-core machine this project is measured on, both nodes' compilers needed about
   * 12 GiB of page traffic (17 s) before round 0 of a 4 GiB transfer ran with 0.4-0.7 s of C2
   * compilation in it, against 3-4 s after a warm-up of the guest's size (README, transfer).
   */
  public static final long DEFAULT_MIN_WARM_UP_BYTES = 16L << 30;

  public TargetConfig {
    if (maxInflightBytes <= 0) throw new IllegalArgumentException("maxInflightBytes must be positive");
    if (maxVerifyMillis <= 0) throw new IllegalArgumentException("maxVerifyMillis must be positive");
    if (minWarmUpBytes < 0) throw new IllegalArgumentException("minWarmUpBytes must be >= 0");
  }

  /** With the default buffer budget (half the heap) and verification limit. */
  public TargetConfig(
      boolean allowTestFaults, int maxBatchBytes, int maxStreams, long sessionIdleTimeoutMillis,
      MachineTuning tuning, long maxGuestBytes) {
    this(allowTestFaults, maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, tuning, maxGuestBytes,
        InboundBudget.defaultCapacityBytes(), DEFAULT_MAX_VERIFY_MILLIS, DEFAULT_MIN_WARM_UP_BYTES);
  }

  /** With the default guest-size limit, buffer budget and verification limit. */
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

  /**
   * The warm-up payload a session for a guest of {@code guestBytes} offers a source
   * (BeginSessionResponse.max_warm_up_bytes): the larger of the guest's size and {@link
   * #minWarmUpBytes}. The warm-up passes over a window of at most 256 MiB again and again into
   * sparse scratch memory, so its payload costs this node no memory beyond the window; what it
   * costs is time, which the source bounds. The session accepts twice this plus 1 MiB.
   */
  public long warmUpBytesFor(long guestBytes) {
    return Math.max(guestBytes, minWarmUpBytes);
  }

  public TargetConfig withInflightBytes(long bytes) {
    return new TargetConfig(allowTestFaults, maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, tuning,
        maxGuestBytes, bytes, maxVerifyMillis, minWarmUpBytes);
  }

  public TargetConfig withVerifyMillis(long millis) {
    return new TargetConfig(allowTestFaults, maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, tuning,
        maxGuestBytes, maxInflightBytes, millis, minWarmUpBytes);
  }

  public TargetConfig withMinWarmUpBytes(long bytes) {
    return new TargetConfig(allowTestFaults, maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, tuning,
        maxGuestBytes, maxInflightBytes, maxVerifyMillis, bytes);
  }

  public static TargetConfig defaults() {
    return new TargetConfig(false, DEFAULT_MAX_BATCH_BYTES, 64, 30_000, MachineTuning.defaults());
  }
}
