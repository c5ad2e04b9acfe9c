package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.LatencyPercentiles;
import io.dbmmigrate.report.RoundRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-copy round loop: round 0 sends every page; each later round harvests the dirty log into
 * the {@link HarvestBitmap} (in {@code hw-sw}, the round the switch policy picks harvests with the
 * switch instead), sends the harvest, and measures dirty rate, throughput and the estimated
 * downtime; the {@link ConvergenceGovernor} then decides to stop, continue, throttle or abort. The
 * final round (after the pause) runs through {@link #runRound} too, so that every round is
 * recorded the same way.
 *
 * <p>Controller thread only, except {@link LiveStatus} (see there).
 */
final class RoundLoop {
  private static final Logger log = LoggerFactory.getLogger(RoundLoop.class);
  private static final long PROGRESS_EVERY_NANOS = 200_000_000L;

  /** Why a round runs. */
  enum Kind {
    FULL,
    SYNC,
    SWITCH,
    FINAL
  }

  /** Throws when the migration was cancelled. */
  interface CancelCheck {
    void check() throws MigrationFailure;
  }

  /**
   * How the pre-pause rounds ended: the last round, why they stopped, and the downtime predicted
   * when the pause was decided (NaN when none could be made).
   */
  record Converged(RoundRecord last, String stopReason, double predictedDowntimeMillis, boolean postcopy) {
    Converged(RoundRecord last, String stopReason, double predictedDowntimeMillis) {
      this(last, stopReason, predictedDowntimeMillis, false);
    }
  }

  /** Hybrid mode: when to leave pre-copy for post-copy (null: pre-copy only). */
  interface PostcopyTrigger {
    /** A reason to switch to post-copy after {@code round}, or null to go on. */
    String after(int round);
  }

  private PostcopyTrigger postcopyTrigger; // controller thread only

  /** Hybrid: rounds stop for post-copy when the trigger says so or when convergence stalls. */
  void postcopyTrigger(PostcopyTrigger t) {
    this.postcopyTrigger = t;
  }

  /**
   * After the pause, in place of the final round: harvests the pages dirtied since the last round
   * and returns them as missing ([startGfn, endGfn) runs) instead of sending them.
   */
  List<long[]> harvestMissing() {
    harvest.sync(vm.dirtyLog());
    HarvestBitmap.Round r = harvest.publish();
    List<long[]> runs = new ArrayList<>();
    try {
      long start = -1;
      long limit = (long) r.wordCount() << 6;
      for (long gfn = 0; gfn <= limit; gfn++) {
        boolean set = gfn < limit && (r.word((int) (gfn >>> 6)) & (1L << gfn)) != 0;
        if (set && start < 0) start = gfn;
        if (!set && start >= 0) {
          runs.add(new long[] {start, gfn});
          start = -1;
        }
      }
    } finally {
      harvest.clear();
    }
    return runs;
  }

  private final String migrationId;
  private final VirtualMachine vm;
  private final SourceVmGuard guard;
  private final MigrationSettings settings;
  private final LiveParameters live;
  private final NanoClock clock;
  private final MigrationListener listener;
  private final GuestRateObserver observer;
  private final FaultCostMeter faultCost;
  private final CancelCheck cancel;
  private final LiveStatus status;
  private final ConvergenceGovernor governor;
  private final BandwidthEstimator bandwidth = new BandwidthEstimator();
  private final DowntimePredictor predictor = new DowntimePredictor();
  private DowntimePredictor.Prediction lastPrediction;
  /** The same prediction with no pages left: the part that throttling cannot lower. */
  private DowntimePredictor.Prediction lastFloor;
  private final List<RoundRecord> rounds = new ArrayList<>();
  private final HarvestBitmap harvest;
  private final SyncTimeHistogram syncTimes = new SyncTimeHistogram();

  private TargetSession session;
  private DirtyLogMode logMode = DirtyLogMode.OFF;
  private int switchRound = -1;
  private int maxThrottlePercent;
  private long lastHarvestNanos;
  private long lastHwScanNanos;
  private int lastHwScanThreads;

  RoundLoop(
      String migrationId,
      VirtualMachine vm,
      SourceVmGuard guard,
      MigrationSettings settings,
      LiveParameters live,
      NanoClock clock,
      MigrationListener listener,
      GuestRateObserver observer,
      FaultCostMeter faultCost,
      CancelCheck cancel,
      LiveStatus status) {
    this.migrationId = migrationId;
    this.vm = vm;
    this.guard = guard;
    this.settings = settings;
    this.live = live;
    this.clock = clock;
    this.listener = listener;
    this.observer = observer;
    this.faultCost = faultCost;
    this.cancel = cancel;
    this.status = status;
    this.governor = new ConvergenceGovernor(settings.onNoConvergence());
    this.harvest = HarvestBitmap.forMemory(vm.memory());
  }

  /** Enables dirty logging in the strategy's initial mode; the first harvest counts from here. */
  void start(TargetSession s) {
    this.session = s;
    logMode = settings.dirtyLog().initialMode();
    guard.enableDirtyLog(logMode, settings.dirtyLogOptions());
    lastHarvestNanos = clock.nanoTime();
  }

  DirtyLogMode logMode() {
    return logMode;
  }

  /**
   * Runs round 0 and the pre-copy rounds until the governor stops them. The pause is decided only
   * after the last pre-pause round, never before it: a {@code hw-sw} migration that would stop while
   * still in hardware mode first runs the switch round and then decides again on what that round
   * measured (its harvest, its send, the software sync that the final round will run).
   */
  Converged runUntilConverged() throws TransferException, InterruptedException, MigrationFailure {
    RoundRecord last = runRound(0, Kind.FULL);
    while (true) {
      cancel.check();
      ConvergenceDecision d =
          governor.decide(
              last.round(),
              decisionEstimate(last),
              floorEstimate(last),
              live.downtimeLimitMillis(),
              live.maxRounds(),
              guard.throttlePercent());
      String toPostcopy = postcopyTrigger == null ? null : postcopyTrigger.after(last.round());
      if (toPostcopy == null && postcopyTrigger != null && (d.action() == ConvergenceDecision.Action.FORCE_STOP
          || d.action() == ConvergenceDecision.Action.ABORT))
        toPostcopy = "convergence stalled (" + d.reason() + ")";
      if (toPostcopy != null) {
        log.info("{}: round {}: switching to post-copy: {}", migrationId, last.round(), toPostcopy);
        return new Converged(last, toPostcopy, Double.NaN, true);
      }
      if (d.stops() && mustSwitchBeforePause()) {
        log.info(
            "{}: round {}: {}; switching to software dirty logging first, then deciding again",
            migrationId,
            last.round(),
            d.reason());
        last = runRound(last.round() + 1, Kind.SWITCH);
        continue;
      }
      if (d.stops()) {
        log.info("{}: round {}: {}", migrationId, last.round(), d.reason());
        return new Converged(
            last, d.reason(), lastPrediction == null ? Double.NaN : lastPrediction.millis());
      }
      if (d.action() == ConvergenceDecision.Action.ABORT)
        throw new MigrationFailure(MigrationPhase.ROUNDS, d.reason(), false, null);
      if (d.action() == ConvergenceDecision.Action.THROTTLE) {
        log.info("{}: round {}: {}", migrationId, last.round(), d.reason());
        guard.setThrottlePercent(d.throttlePercent());
        maxThrottlePercent = Math.max(maxThrottlePercent, d.throttlePercent());
      }
      boolean doSwitch =
          isHwOfHwSw() && last.round() >= 1 && settings.switchPolicy().shouldSwitch(switchContext(last));
      last = runRound(last.round() + 1, doSwitch ? Kind.SWITCH : Kind.SYNC);
    }
  }

  /**
   * What the governor compares with the limit: the prediction's upper bound (central + spread) of
   * the round just finished; NaN while unknown (round 0).
   */
  private double decisionEstimate(RoundRecord last) {
    if (last.estimatedDowntimeMillis() < 0 || lastPrediction == null) return Double.NaN;
    return lastPrediction.upperMillis();
  }

  /** The same estimate with no pages left (what throttling cannot lower); NaN while unknown. */
  private double floorEstimate(RoundRecord last) {
    if (last.estimatedDowntimeMillis() < 0 || lastFloor == null) return Double.NaN;
    return lastFloor.upperMillis();
  }

  private boolean isHwOfHwSw() {
    return settings.dirtyLog().switchesToSw() && logMode.hardware();
  }

  private boolean mustSwitchBeforePause() {
    return isHwOfHwSw() && !settings.switchPolicy().neverSwitches();
  }

  /** One round: harvest (or all pages), publish, send, clear, record. */
  RoundRecord runRound(int r, Kind kind) throws TransferException, InterruptedException, MigrationFailure {
    cancel.check();
    status.round(r);
    final GuestMemory mem = vm.memory();
    final long t0 = clock.nanoTime();
    final long stores0 = vm.storesRetired();
    SyncStats stats = null;
    switch (kind) {
      case FULL -> harvest.setAllPages(mem);
      case SYNC, FINAL -> stats = harvest.sync(vm.dirtyLog());
      case SWITCH -> {
        stats = harvest.switchToSoftware(vm.dirtyLog());
        logMode = DirtyLogMode.SW;
        switchRound = r;
      }
    }
    final long t1 = clock.nanoTime();
    if (stats != null && stats.mode().hardware()) {
      lastHwScanNanos = stats.nanos();
      lastHwScanThreads = stats.threads();
    }
    final long dirty = harvest.count();
    final double dirtyRate = kind == Kind.FULL ? 0 : GuestRateObserver.rate(dirty, t1 - lastHarvestNanos);
    if (kind != Kind.FULL) lastHarvestNanos = t1;
    final String label =
        switch (kind) {
          case FULL -> "full";
          case FINAL -> "final";
          default -> stats.mode() == DirtyLogMode.SW ? "sw" : stats.mode().cliName();
        };
    if (kind != Kind.FINAL) observer.phase(label);
    listener.onRoundStarted(r, label, dirty);

    RoundTransfer tr;
    try {
      tr = session.sendRound(r, harvest.publish(), mem, progressSink(r, dirty));
    } finally {
      harvest.clear();
    }
    final long t2 = clock.nanoTime();
    final BatchSendLatency latency = session.batchSendLatency();
    if (latency != null) latency.endRound();
    bandwidth.record(tr.rawBytes(), tr.nanos());
    if (stats != null) {
      predictor.recordSync(stats.mode(), stats.millis());
      syncTimes.recordMillis(stats.millis());
    }
    predictor.recordSend(tr.rawBytes(), tr.nanos() / 1e6, bandwidth.bytesPerSec());
    predictor.recordRoundTrip(session.lastRoundTripMillis());

    long remaining;
    double estimate;
    if (kind == Kind.FULL) {
      remaining = -1; // no dirty rate measured yet
      estimate = -1;
    } else if (kind == Kind.FINAL) {
      remaining = 0;
      estimate = 0;
    } else {
      remaining = Math.min(writablePages(mem), Math.round(dirtyRate * (t2 - t1) / 1e9));
      lastPrediction =
          predictor.predict(logMode, remaining, BandwidthEstimator.bytesPerPage(), bandwidth.bytesPerSec());
      lastFloor = predictor.predict(logMode, 0, BandwidthEstimator.bytesPerPage(), bandwidth.bytesPerSec());
      estimate = Double.isFinite(lastPrediction.millis()) ? lastPrediction.millis() : -1;
    }
    RoundRecord rec =
        new RoundRecord(
            r,
            label,
            dirty,
            stats == null ? 0 : stats.millis(),
            stats == null ? 0 : stats.threads(),
            stats == null ? 0 : stats.ptesVisited(),
            tr.pages(),
            tr.zeroPages(),
            tr.wireBytes(),
            tr.nanos() / 1e6,
            dirtyRate,
            GuestRateObserver.rate(tr.wireBytes(), tr.nanos()),
            remaining,
            estimate,
            kind == Kind.FINAL ? 0 : GuestRateObserver.rate(vm.storesRetired() - stores0, t2 - t0),
            guard.throttlePercent());
    rounds.add(rec);
    status.roundDone(
        tr.pages(), tr.zeroPages(), stats != null, remaining, estimate, dirtyRate, rec.throughputBytesPerSec());
    listener.onRound(rec);
    return rec;
  }

  List<RoundRecord> rounds() {
    return rounds;
  }

  /** Sync time of every round that synced so far (issue 15 item 3). */
  LatencyPercentiles syncTime() {
    LatencyPercentiles p = syncTimes.percentiles();
    return p.count() == 0 ? null : p;
  }

  /** Per-batch send latency over every round so far; null when the transport does not time batches. */
  LatencyPercentiles batchSendLatency() {
    BatchSendLatency l = session == null ? null : session.batchSendLatency();
    LatencyPercentiles p = l == null ? null : l.total();
    return p == null || p.count() == 0 ? null : p;
  }

  int switchRound() {
    return switchRound;
  }

  int maxThrottlePercent() {
    return maxThrottlePercent;
  }

  private SwitchContext switchContext(RoundRecord last) {
    return new SwitchContext(
        last.round(),
        Math.max(0, last.remainingPages()),
        lastHwScanNanos,
        lastHwScanThreads,
        faultCost.perFaultNanos());
  }

  private ProgressSink progressSink(int r, long pagesTotal) {
    final AtomicLong pagesDone = new AtomicLong();
    final AtomicLong lastEmit = new AtomicLong(clock.nanoTime());
    return (pages, wireBytes) -> {
      long done = pagesDone.addAndGet(pages);
      long total = status.addBytesSent(wireBytes);
      long now = clock.nanoTime();
      long prev = lastEmit.get();
      if ((now - prev >= PROGRESS_EVERY_NANOS || done == pagesTotal) && lastEmit.compareAndSet(prev, now))
        listener.onProgress(r, done, pagesTotal, total);
    };
  }

  private static long writablePages(GuestMemory mem) {
    long n = 0;
    for (MemorySlotSpec s : mem.slots()) if (!s.readOnly()) n += s.pageCount();
    return n;
  }
}
