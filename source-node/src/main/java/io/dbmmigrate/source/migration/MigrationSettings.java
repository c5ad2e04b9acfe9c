package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.VerifyMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every parameter of one migration (the command line's and the control API's), validated.
 *
 * @param dirtyLog sw | hw | hw-sw
 * @param switchPolicy when hw-sw leaves hardware logging
 * @param downtimeLimitMillis target downtime (initial value; changeable at run time)
 * @param maxRounds rounds, round 0 included, before {@code onNoConvergence} applies (initial value)
 * @param onNoConvergence force | abort | throttle
 * @param streams parallel page streams
 * @param batchBytes largest uncompressed batch payload
 * @param compress LZ4-compress batches
 * @param maxBandwidthBytesPerSec cap, 0 = unlimited (initial value)
 * @param scanThreads threads of a hardware scan
 * @param scanChunkBytes guest memory per scan task per iteration
 * @param verifyOnly commit without resuming on the destination
 * @param testCorruptGfn test fault: ask the destination to corrupt this gfn (-1: none)
 * @param warmupMillis how long the guest runs before the migration starts ("before" throughput)
 * @param observeAfterMillis how long to sample the destination's guest after resume (0: not)
 * @param rpcTimeoutMillis deadline of short unary calls (begin, abort, probes)
 * @param streamStallMillis a page stream that makes no progress this long fails the migration
 * @param verify how the destination verifies the memory (strict, background, off)
 * @param jitWarmUp the page-path warm-up before round 0 ({@link JitWarmUp})
 */
public record MigrationSettings(
    DirtyLogStrategy dirtyLog,
    SwitchPolicy switchPolicy,
    long downtimeLimitMillis,
    int maxRounds,
    NoConvergenceAction onNoConvergence,
    int streams,
    int batchBytes,
    boolean compress,
    long maxBandwidthBytesPerSec,
    int scanThreads,
    long scanChunkBytes,
    boolean verifyOnly,
    long testCorruptGfn,
    long warmupMillis,
    long observeAfterMillis,
    long rpcTimeoutMillis,
    long streamStallMillis,
    VerifyMode verify,
    JitWarmUp jitWarmUp) {

  public static final long DEFAULT_DOWNTIME_LIMIT_MILLIS = 300;
  public static final int DEFAULT_MAX_ROUNDS = 30;
  public static final int DEFAULT_STREAMS = 2;
  public static final int DEFAULT_BATCH_BYTES = 1 << 20;
  public static final long DEFAULT_WARMUP_MILLIS = 500;
  public static final long DEFAULT_OBSERVE_AFTER_MILLIS = 500;
  public static final long DEFAULT_RPC_TIMEOUT_MILLIS = 10_000;
  public static final long DEFAULT_STREAM_STALL_MILLIS = 30_000;

  public MigrationSettings {
    if (dirtyLog == null) throw new IllegalArgumentException("dirty-log mode missing");
    if (switchPolicy == null) throw new IllegalArgumentException("switch policy missing");
    if (onNoConvergence == null) throw new IllegalArgumentException("on-no-convergence missing");
    if (downtimeLimitMillis < 1) throw new IllegalArgumentException("downtime limit must be >= 1 ms");
    if (maxRounds < 1 || maxRounds > 10_000)
      throw new IllegalArgumentException("max rounds must be 1..10000, not " + maxRounds);
    if (streams < 1 || streams > 64)
      throw new IllegalArgumentException("streams must be 1..64, not " + streams);
    io.dbmmigrate.wire.PageBatchFormat.checkBatchBytes(batchBytes);
    if (maxBandwidthBytesPerSec < 0) throw new IllegalArgumentException("max bandwidth must be >= 0");
    if (scanThreads < 1 || scanThreads > 1024)
      throw new IllegalArgumentException("scan threads must be 1..1024, not " + scanThreads);
    new DirtyLogOptions(scanThreads, scanChunkBytes, false); // validates the chunk size
    if (testCorruptGfn < -1) throw new IllegalArgumentException("test-corrupt-gfn must be >= -1");
    if (warmupMillis < 0) throw new IllegalArgumentException("warm-up must be >= 0 ms");
    if (observeAfterMillis < 0) throw new IllegalArgumentException("observe-after must be >= 0 ms");
    if (rpcTimeoutMillis < 1) throw new IllegalArgumentException("rpc timeout must be >= 1 ms");
    if (streamStallMillis < 1) throw new IllegalArgumentException("stream stall timeout must be >= 1 ms");
    if (verify == null) verify = VerifyMode.STRICT;
    if (jitWarmUp == null) jitWarmUp = JitWarmUp.NONE;
  }

  /** Settings without a page-path warm-up (the parameters before it existed). */
  public MigrationSettings(
      DirtyLogStrategy dirtyLog, SwitchPolicy switchPolicy, long downtimeLimitMillis, int maxRounds,
      NoConvergenceAction onNoConvergence, int streams, int batchBytes, boolean compress,
      long maxBandwidthBytesPerSec, int scanThreads, long scanChunkBytes, boolean verifyOnly,
      long testCorruptGfn, long warmupMillis, long observeAfterMillis, long rpcTimeoutMillis,
      long streamStallMillis, VerifyMode verify) {
    this(dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams, batchBytes,
        compress, maxBandwidthBytesPerSec, scanThreads, scanChunkBytes, verifyOnly, testCorruptGfn,
        warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis, verify, JitWarmUp.NONE);
  }

  /** Settings verified strictly (the parameters before verification modes existed). */
  public MigrationSettings(
      DirtyLogStrategy dirtyLog, SwitchPolicy switchPolicy, long downtimeLimitMillis, int maxRounds,
      NoConvergenceAction onNoConvergence, int streams, int batchBytes, boolean compress,
      long maxBandwidthBytesPerSec, int scanThreads, long scanChunkBytes, boolean verifyOnly,
      long testCorruptGfn, long warmupMillis, long observeAfterMillis, long rpcTimeoutMillis,
      long streamStallMillis) {
    this(dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams, batchBytes,
        compress, maxBandwidthBytesPerSec, scanThreads, scanChunkBytes, verifyOnly, testCorruptGfn,
        warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis, VerifyMode.STRICT);
  }

  public MigrationSettings withVerify(VerifyMode mode) {
    return new MigrationSettings(
        dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams,
        batchBytes, compress, maxBandwidthBytesPerSec, scanThreads, scanChunkBytes, verifyOnly, testCorruptGfn,
        warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis, mode, jitWarmUp);
  }

  public MigrationSettings withJitWarmUp(JitWarmUp w) {
    return new MigrationSettings(
        dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams,
        batchBytes, compress, maxBandwidthBytesPerSec, scanThreads, scanChunkBytes, verifyOnly, testCorruptGfn,
        warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis, verify, w);
  }

  /** Defaults of the command line (hw-sw, cost, 300 ms, 30 rounds, force, 2 streams, 1 MiB). */
  public static MigrationSettings defaults() {
    return new MigrationSettings(
        DirtyLogStrategy.HW_SW,
        new CostSwitchPolicy(),
        DEFAULT_DOWNTIME_LIMIT_MILLIS,
        DEFAULT_MAX_ROUNDS,
        NoConvergenceAction.FORCE,
        DEFAULT_STREAMS,
        DEFAULT_BATCH_BYTES,
        false,
        0,
        Runtime.getRuntime().availableProcessors(),
        DirtyLogOptions.DEFAULT_SCAN_CHUNK_BYTES,
        false,
        -1,
        DEFAULT_WARMUP_MILLIS,
        DEFAULT_OBSERVE_AFTER_MILLIS,
        DEFAULT_RPC_TIMEOUT_MILLIS,
        DEFAULT_STREAM_STALL_MILLIS);
  }

  public DirtyLogOptions dirtyLogOptions() {
    return new DirtyLogOptions(scanThreads, scanChunkBytes, false);
  }

  /** The parameters by command-line name, for the report. */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dirtyLog", dirtyLog.label());
    m.put("switchPolicy", switchPolicy.label());
    m.put("downtimeLimitMillis", downtimeLimitMillis);
    m.put("maxRounds", maxRounds);
    m.put("onNoConvergence", onNoConvergence.label());
    m.put("streams", streams);
    m.put("batchBytes", batchBytes);
    m.put("compress", compress ? "lz4" : "none");
    m.put("maxBandwidthBytesPerSec", maxBandwidthBytesPerSec);
    m.put("scanThreads", scanThreads);
    m.put("scanChunkBytes", scanChunkBytes);
    m.put("verifyOnly", verifyOnly);
    m.put("testCorruptGfn", testCorruptGfn);
    m.put("warmupMillis", warmupMillis);
    m.put("observeAfterMillis", observeAfterMillis);
    m.put("rpcTimeoutMillis", rpcTimeoutMillis);
    m.put("streamStallMillis", streamStallMillis);
    m.put("verify", verify.label());
    m.put("jitWarmUpBytes", jitWarmUp);
    return m;
  }

  public MigrationSettings withMaxBandwidth(long bytesPerSec) {
    return new MigrationSettings(
        dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams,
        batchBytes, compress, bytesPerSec, scanThreads, scanChunkBytes, verifyOnly, testCorruptGfn,
        warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis, verify, jitWarmUp);
  }
}
