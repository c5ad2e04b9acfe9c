package io.dbmmigrate.source.cli;

import io.dbmmigrate.source.migration.MigrationMode;
import io.dbmmigrate.source.migration.PostcopySettings;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.source.migration.DirtyLogStrategy;
import io.dbmmigrate.source.migration.JitWarmUp;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.source.migration.NoConvergenceAction;
import io.dbmmigrate.source.migration.SwitchPolicy;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.digest.VerifyMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The migration parameters of {@code migrate} and {@code serve} (its defaults for control starts). */
public final class MigrationOptions {
  @Option(
      names = "--dirty-log",
      paramLabel = "MODE",
      converter = DirtyLogConverter.class,
      description =
          "Dirty logging: sw (write-protect + fault), hw (DBM, parallel page-table scans), ring"
              + " (KVM dirty ring: faults fill per-vCPU rings; see --ring-entries), hdbss (FEAT_HDBSS:"
              + " the hardware fills per-vCPU buffers; see --hdbss-entries), combined (a fault arms"
              + " DBM on its 64-page neighbourhood; syncs scan those); hw-sw, hdbss-sw, combined-sw"
              + " switch to software per --switch-policy, at the latest before the pause."
              + " Default: ${DEFAULT-VALUE}.")
  DirtyLogStrategy dirtyLog = DirtyLogStrategy.HW_SW;

  @Option(
      names = "--switch-policy",
      paramLabel = "never|threshold:N|cost",
      converter = SwitchPolicyConverter.class,
      description =
          "When hw-sw leaves hardware logging: never; threshold:N (once at most N pages are expected"
              + " dirty per round); cost (once the measured fault cost of a round's dirty pages is below"
              + " the measured CPU cost of one hardware scan). Unless never, hw-sw always switches before"
              + " the pause, so the final sync is O(dirty). Default: cost.")
  SwitchPolicy switchPolicy = SwitchPolicy.parse("cost");

  @Option(
      names = "--downtime-limit",
      paramLabel = "MS",
      description = "Target downtime in ms; stop when the estimate is below it. Default: ${DEFAULT-VALUE}.")
  long downtimeLimitMillis = MigrationSettings.DEFAULT_DOWNTIME_LIMIT_MILLIS;

  @Option(
      names = "--max-rounds",
      paramLabel = "N",
      description = "Pre-copy rounds (round 0 included) before --on-no-convergence applies. Default: ${DEFAULT-VALUE}.")
  int maxRounds = MigrationSettings.DEFAULT_MAX_ROUNDS;

  @Option(
      names = "--on-no-convergence",
      paramLabel = "force|abort|throttle",
      converter = NoConvergenceConverter.class,
      description =
          "After --max-rounds without convergence: force (stop anyway, real downtime reported), abort"
              + " (VM stays on the source), throttle (auto-converge: 20 %%, +10 %% per round up to 99 %%)."
              + " Default: ${DEFAULT-VALUE}.")
  NoConvergenceAction onNoConvergence = NoConvergenceAction.FORCE;

  @Option(names = "--streams", paramLabel = "N", description = "Parallel page streams (connections). Default: ${DEFAULT-VALUE}.")
  int streams = MigrationSettings.DEFAULT_STREAMS;

  @Option(
      names = "--batch-bytes",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = "Largest uncompressed page batch (suffixes k, m). Default: 1m.")
  long batchBytes = MigrationSettings.DEFAULT_BATCH_BYTES;

  @Option(
      names = "--compress",
      arity = "1",
      paramLabel = "none|lz4",
      converter = CompressConverter.class,
      description = "Batch compression. Default: none.")
  boolean compress;

  @Option(
      names = "--max-bandwidth",
      paramLabel = "BYTES/S",
      converter = ByteSize.class,
      description =
          "Bandwidth cap in bytes per second (suffixes k, m, g: binary), 0 = unlimited; changeable"
              + " while running (ctl set). Default: 0.")
  long maxBandwidth;

  @Option(
      names = "--scan-threads",
      paramLabel = "N",
      description = "Threads of a hardware dirty-log scan. Default: available processors (${DEFAULT-VALUE}).")
  int scanThreads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--scan-chunk",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = "Guest memory per scan task per iteration, a power of two. Default: 512m.")
  long scanChunkBytes = DirtyLogOptions.DEFAULT_SCAN_CHUNK_BYTES;

  @Option(
      names = "--warmup-ms",
      paramLabel = "MS",
      description = "Let the guest run this long before migrating (measures the 'before' write rate). Default: ${DEFAULT-VALUE}.")
  long warmupMillis = MigrationSettings.DEFAULT_WARMUP_MILLIS;

  @Option(
      names = "--observe-after-ms",
      paramLabel = "MS",
      description = "Sample the guest's progress on the destination this long after resume (0: skip). Default: ${DEFAULT-VALUE}.")
  long observeAfterMillis = MigrationSettings.DEFAULT_OBSERVE_AFTER_MILLIS;

  @Option(
      names = "--verify-only",
      description = "Verify on the destination but do not resume there; the VM keeps running on the source.")
  boolean verifyOnly;

  @Option(
      names = "--verify",
      paramLabel = "MODE",
      converter = VerifyConverter.class,
      description =
          "How the destination verifies the memory: strict (resume only after the tree digests"
              + " match; the guest stands still meanwhile), background (resume at once, hash a"
              + " write-protect snapshot while the guest runs; a mismatch fails the run), off"
              + " (unverified). Default: strict.")
  VerifyMode verify = VerifyMode.STRICT;

  @Option(
      names = "--rpc-timeout-ms",
      paramLabel = "MS",
      description = "Deadline of short calls to the destination (begin, abort, probes). Default: ${DEFAULT-VALUE}.")
  long rpcTimeoutMillis = MigrationSettings.DEFAULT_RPC_TIMEOUT_MILLIS;

  @Option(
      names = "--jit-warm-up",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description =
          "Before round 0, stream up to SIZE of guest pages (passes over the ROM and the first 256 MiB of RAM)"
              + " through the page path into a scratch memory on the destination (never into the"
              + " VM), for at most --jit-warm-up-ms, so"
              + " that both JVMs compile the page path before the measured rounds; counted in"
              + " setup; the destination takes at most the larger of the guest's size and 16 GiB"
              + " (an older one: the guest's size). 0 = off. Default: 256m.")
  long jitWarmUpBytes = JitWarmUp.DEFAULT.bytes();

  @Option(
      names = "--jit-warm-up-ms",
      paramLabel = "MS",
      description =
          "The longest the page-path warm-up (--jit-warm-up) runs, including its end: a wait, in"
              + " windows of 0.5 s, until neither node's JIT compilers finished more than 10 ms of"
              + " work in one. Default: ${DEFAULT-VALUE}.")
  long jitWarmUpMillis = JitWarmUp.DEFAULT.maxMillis();

  @Option(
      names = "--stream-stall-ms",
      paramLabel = "MS",
      description = "Fail when a page stream makes no progress this long (watchdog). Default: ${DEFAULT-VALUE}.")
  long streamStallMillis = MigrationSettings.DEFAULT_STREAM_STALL_MILLIS;

  @Option(
      names = "--test-corrupt-gfn",
      paramLabel = "GFN",
      description =
          "TEST ONLY: ask the destination to corrupt this guest frame after applying it (it must run"
              + " with --allow-test-faults); the digests must then differ. Default: none.")
  long testCorruptGfn = -1;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description =
          "precopy (all pages before the switchover), postcopy (the VM resumes on the destination at once,"
              + " pages follow on demand and in the background) or hybrid (pre-copy rounds, then post-copy when"
              + " convergence stalls, after --postcopy-after-rounds, or on 'ctl postcopy'). Default: ${DEFAULT-VALUE}.")
  String mode = "precopy";

  @Option(
      names = "--postcopy-after-rounds",
      paramLabel = "N",
      description = "Hybrid: switch to post-copy after N pre-copy rounds (0: only on stall or request). Default: ${DEFAULT-VALUE}.")
  int postcopyAfterRounds = 0;

  @Option(
      names = "--postcopy-recover-millis",
      paramLabel = "MS",
      description =
          "Post-copy: how long to keep reconnecting a cut or stalled link before the VM is declared lost."
              + " Default: ${DEFAULT-VALUE}.")
  long postcopyRecoverMillis = PostcopySettings.DEFAULT_RECOVER_MILLIS;

  /** The validated post-copy settings. */
  public PostcopySettings toPostcopySettings() {
    try {
      return new PostcopySettings(MigrationMode.parse(mode), postcopyAfterRounds, postcopyRecoverMillis);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid migration option: " + e.getMessage(), e);
    }
  }

  /**
   * The validated settings.
   *
   * @throws IllegalArgumentException with a message naming the option
   */
  public MigrationSettings toSettings() {
    if (batchBytes > Integer.MAX_VALUE) throw new IllegalArgumentException("--batch-bytes too large: " + batchBytes);
    if (maxRounds < 1) throw new IllegalArgumentException("--max-rounds must be >= 1, not " + maxRounds);
    if (streams < 1 || streams > 64) throw new IllegalArgumentException("--streams must be 1..64, not " + streams);
    try {
      return new MigrationSettings(
          dirtyLog, switchPolicy, downtimeLimitMillis, maxRounds, onNoConvergence, streams,
          (int) batchBytes, compress, maxBandwidth, scanThreads, scanChunkBytes, verifyOnly,
          testCorruptGfn, warmupMillis, observeAfterMillis, rpcTimeoutMillis, streamStallMillis,
          verify, new JitWarmUp(jitWarmUpBytes, jitWarmUpMillis));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid migration option: " + e.getMessage(), e);
    }
  }

  static final class VerifyConverter implements ITypeConverter<VerifyMode> {
    @Override
    public VerifyMode convert(String v) {
      try {
        return VerifyMode.parse(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class DirtyLogConverter implements ITypeConverter<DirtyLogStrategy> {
    @Override
    public DirtyLogStrategy convert(String v) {
      try {
        return DirtyLogStrategy.parse(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class SwitchPolicyConverter implements ITypeConverter<SwitchPolicy> {
    @Override
    public SwitchPolicy convert(String v) {
      try {
        return SwitchPolicy.parse(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class NoConvergenceConverter implements ITypeConverter<NoConvergenceAction> {
    @Override
    public NoConvergenceAction convert(String v) {
      try {
        return NoConvergenceAction.parse(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class CompressConverter implements ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String v) {
      return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "none", "off", "false" -> false;
        case "lz4" -> true;
        default -> throw new TypeConversionException("--compress must be none or lz4, not '" + v + "'");
      };
    }
  }
}
