package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.report.JitReport;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.report.GcPhaseStats;
import io.dbmmigrate.report.LostWork;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.report.PostcopyTimeline;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.TimelineSample;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-copy live migration of one VM (DESIGN.md "Migration"): the orchestration of its parts.
 *
 * <ol>
 *   <li>Setup: open a session on the destination (layout, options); the {@link RoundLoop} enables
 *       dirty logging.
 *   <li>Rounds ({@link RoundLoop}): round 0 sends every page, later rounds harvest and send the
 *       dirty pages until the {@link ConvergenceGovernor} stops them.
 *   <li>Switchover ({@link SwitchoverResolver}): pause, final round, vCPU states, hash, commit,
 *       and the resolution of the destination's answer.
 * </ol>
 *
 * The source's VM is settled exactly once by the {@link SourceVmGuard}; the guest's write rate is
 * watched by the {@link GuestRateObserver}; the report is assembled by the {@link
 * MigrationReportBuilder}.
 *
 * <p>Failure rule: anything that fails or is cancelled before the commit is sent aborts the
 * destination session (best effort) and gives the VM back ({@link SourceVmGuard#giveBack}). The
 * source never resumes a VM the destination may be running: a commit whose answer is lost is
 * resolved by probing the destination, and left paused when the destination cannot be reached.
 *
 * <p>Concurrency contract: {@link #run} runs on one thread (the controller thread) and owns every
 * part. {@code phase}, {@code cancelReason} and {@code session} are guarded by {@code stateLock}:
 * {@link #cancel} (any thread) succeeds only while the phase is before COMMITTING, and the
 * controller moves to COMMITTING under the same lock after checking the reason, so a cancel is
 * either seen before the commit or refused. {@link LiveStatus} is read by status queries.
 */
public final class PreCopyController {
  private static final Logger log = LoggerFactory.getLogger(PreCopyController.class);

  private final String migrationId;
  private final VirtualMachine vm;
  private final TargetConnector connector;
  private final MigrationSettings settings;
  private final MigrationListener listener;
  private final MemoryDigester digester;
  private final NanoClock clock;
  private final FaultCostMeter faultCost;
  private final String workloadLabel;
  private final LiveParameters live;
  private final LiveStatus status = new LiveStatus();
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private final PostcopySettings postcopy;
  /** ctl postcopy: hybrid leaves pre-copy after the current round (any thread writes). */
  private volatile boolean postcopyRequested;
  /** True once StartPostcopy is about to be sent: cancel is refused with its own message. */
  private volatile boolean postcopyStarted;
  private volatile GcPauseRecorder gcSoFar; // the running migration's recorder, for status readers
  private volatile MigrationTimeline timelineSoFar; // the running migration's phases, for status readers

  private final Object stateLock = new Object();
  private MigrationPhase phase = MigrationPhase.SETUP; // guarded by stateLock
  private String cancelReason; // guarded by stateLock
  private TargetSession session; // guarded by stateLock (written once by the controller)

  public PreCopyController(
      String migrationId,
      VirtualMachine vm,
      TargetConnector connector,
      MigrationSettings settings,
      MigrationListener listener,
      MemoryDigester digester,
      NanoClock clock,
      FaultCostMeter faultCost,
      String workloadLabel) {
    this(migrationId, vm, connector, settings, listener, digester, clock, faultCost, workloadLabel, PostcopySettings.PRECOPY);
  }

  public PreCopyController(
      String migrationId,
      VirtualMachine vm,
      TargetConnector connector,
      MigrationSettings settings,
      MigrationListener listener,
      MemoryDigester digester,
      NanoClock clock,
      FaultCostMeter faultCost,
      String workloadLabel,
      PostcopySettings postcopy) {
    this.postcopy = postcopy;
    this.migrationId = migrationId;
    this.vm = vm;
    this.connector = connector;
    this.settings = settings;
    this.listener = listener;
    this.digester = digester;
    this.clock = clock;
    this.faultCost = faultCost;
    this.workloadLabel = workloadLabel;
    this.live = new LiveParameters(settings, new RateLimiter(settings.maxBandwidthBytesPerSec(), clock));
  }

  public String migrationId() {
    return migrationId;
  }

  /** Run-time changeable parameters (bandwidth cap, downtime limit, round limit). */
  public LiveParameters live() {
    return live;
  }

  public MigrationSettings currentSettings() {
    return live.applyTo(settings);
  }

  public MigrationPhase phase() {
    synchronized (stateLock) {
      return phase;
    }
  }

  public int currentRound() {
    return status.round();
  }

  public long bytesSent() {
    return status.bytesSent();
  }

  /** query-migrate style statistics, now. */
  public LiveStatus.Snapshot status() {
    return status.snapshot(clock.nanoTime());
  }

  /** Collector pauses of this JVM since the migration started: {count, nanos}; zeros when not running. */
  public long[] gcSoFar() {
    GcPauseRecorder g = gcSoFar;
    return g == null ? new long[2] : new long[] {g.count(), g.totalNanos()};
  }

  /**
   * The source's collector pauses since the migration started, one row per phase (setup, rounds,
   * downtime, commit) by the phase each pause started in; empty when not running or still warming
   * up. Any thread.
   */
  public List<GcPhaseStats> gcPhasesSoFar() {
    GcPauseRecorder g = gcSoFar;
    MigrationTimeline t = timelineSoFar;
    return g == null || t == null ? List.of() : GcAccounting.sourceSoFar(g, t, clock.nanoTime());
  }

  /**
   * Requests cancellation. Succeeds only before the commit is sent; the VM then stays on the
   * source.
   *
   * @return false when past the point of no return (or already finished)
   */
  public boolean cancel(String reason) {
    TargetSession s;
    synchronized (stateLock) {
      if (phase == MigrationPhase.COMMITTING || phase.isTerminal()) return false;
      if (cancelReason == null) cancelReason = reason == null || reason.isBlank() ? "cancelled" : reason;
      s = session;
    }
    cancelled.countDown();
    if (s != null) s.cancelInFlight(reason);
    return true;
  }

  /**
   * ctl postcopy: a hybrid migration switches to post-copy after its current round.
   *
   * @return null when accepted, else why not
   */
  public String requestPostcopy() {
    if (postcopy.mode() != MigrationMode.HYBRID)
      return "the migration runs in mode " + postcopy.mode().label() + "; only hybrid switches to post-copy on request";
    MigrationPhase p = phase();
    if (p != MigrationPhase.SETUP && p != MigrationPhase.ROUNDS)
      return "the migration is past its pre-copy rounds (phase " + p + ")";
    postcopyRequested = true;
    return null;
  }

  /** Why a cancel is refused now (null: it would be accepted or nothing runs). */
  public String cancelRefusal() {
    if (postcopyStarted)
      return "post-copy has started: the VM runs on the destination and part of its memory is still on the"
          + " source; it cannot be cancelled (it completes, or the VM is lost if the source fails)";
    MigrationPhase p = phase();
    if (p == MigrationPhase.COMMITTING) return "past the point of no return: the commit was sent";
    if (p.isTerminal()) return "the migration has ended (" + p + ")";
    return null;
  }

  public PostcopySettings postcopySettings() {
    return postcopy;
  }

  /** Runs the migration to its end. Never throws: the outcome is in the report. */
  public MigrationResult run() {
    long tStart = clock.nanoTime();
    final MigrationTimeline timeline = new MigrationTimeline();
    final GcPauseRecorder gc = GcPauseRecorder.start(clock::nanoTime);
    gcSoFar = gc;
    final SourceVmGuard guard = new SourceVmGuard(migrationId, vm);
    final MigrationReportBuilder report =
        new MigrationReportBuilder(migrationId, settings, VmShape.of(vm), workloadLabel);
    final GuestRateObserver observer = new GuestRateObserver(vm, clock);
    final RoundLoop loop =
        new RoundLoop(
            migrationId, vm, guard, settings, live, clock, listener, observer, faultCost,
            this::checkCancelled, status);
    try {
      connector.warmUp();
      guard.ensureRunning();
      if (!observer.warmUp(settings.warmupMillis(), cancelled)) throw cancelledFailure();
      tStart = clock.nanoTime();
      timeline.start = tStart;
      timelineSoFar = timeline; // live GC per phase from here (the warm-up is no phase)
      status.started(tStart);
      setPhase(MigrationPhase.SETUP, "opening session on the destination");
      observer.phase("setup");
      TargetSession s =
          connector.open(
              VmShape.of(vm),
              new SessionOptions(
                  migrationId,
                  settings.streams(),
                  settings.batchBytes(),
                  settings.compress(),
                  settings.testCorruptGfn(),
                  postcopy.mode() != MigrationMode.PRECOPY),
              live.limiter());
      synchronized (stateLock) {
        session = s;
      }
      checkCancelled();
      warmUpPagePath(s);
      final long tOpened = clock.nanoTime();
      if (postcopy.mode() == MigrationMode.POSTCOPY) {
        // Pure post-copy: no rounds, no dirty log; every writable page follows the VM.
        report.setupMillis((tOpened - tStart) / 1e6);
        setPhase(MigrationPhase.PAUSED, "post-copy: switching over at once");
        SwitchoverResolver.Resolution res =
            new PostcopySwitchover(
                    migrationId, vm, guard, postcopy, clock, observer, report, timeline, settings.observeAfterMillis())
                .switchOver(s, null, "postcopy mode", this::enterPostcopy);
        return finish(res.end(), res.detail(), res.fate(), report, loop, observer, timeline, gc);
      }
      if (postcopy.mode() == MigrationMode.HYBRID)
        loop.postcopyTrigger(
            round -> {
              if (postcopyRequested) return "requested (ctl postcopy)";
              if (postcopy.afterRounds() > 0 && round + 1 >= postcopy.afterRounds())
                return "after " + (round + 1) + " rounds (--postcopy-after-rounds)";
              return null;
            });
      loop.start(s);
      final long tLogging = clock.nanoTime();
      report.setupMillis((tLogging - tStart) / 1e6);
      status.setupDone((tLogging - tStart) / 1e6);
      log.info(
          "{}: session open in {} ms, dirty log ({}) enabled in {} ms",
          migrationId,
          (tOpened - tStart) / 1_000_000,
          loop.logMode(),
          (tLogging - tOpened) / 1_000_000);

      setPhase(MigrationPhase.ROUNDS, "pre-copy with dirty log " + settings.dirtyLog().label());
      observer.roundsStarted();
      timeline.roundsStartAt(clock.nanoTime());
      RoundLoop.Converged converged = loop.runUntilConverged();
      observer.roundsEnded();
      report.predictedDowntimeMillis(converged.predictedDowntimeMillis());

      setPhase(MigrationPhase.PAUSED, converged.stopReason());
      if (converged.postcopy()) {
        SwitchoverResolver.Resolution res =
            new PostcopySwitchover(
                    migrationId, vm, guard, postcopy, clock, observer, report, timeline, settings.observeAfterMillis())
                .switchOver(s, loop, converged.stopReason(), this::enterPostcopy);
        return finish(res.end(), res.detail(), res.fate(), report, loop, observer, timeline, gc);
      }
      SwitchoverResolver resolver =
          new SwitchoverResolver(
              migrationId, vm, guard, settings, digester, clock, loop, observer, report, timeline);
      SwitchoverResolver.Resolution res =
          resolver.switchOver(s, converged.last().round() + 1, this::enterCommitting);
      return finish(res.end(), res.detail(), res.fate(), report, loop, observer, timeline, gc);
    } catch (MigrationFailure | TransferException | InterruptedException | RuntimeException e) {
      if (timeline.start == 0) timeline.start = tStart;
      return failBeforeCommit(e, guard, report, loop, observer, timeline, gc);
    } finally {
      gc.close();
      observer.close();
      TargetSession s;
      synchronized (stateLock) {
        s = session;
      }
      if (s != null) s.close();
    }
  }

  private MigrationResult failBeforeCommit(
      Exception e,
      SourceVmGuard guard,
      MigrationReportBuilder report,
      RoundLoop loop,
      GuestRateObserver observer,
      MigrationTimeline timeline,
      GcPauseRecorder gc) {
    String reason;
    boolean wasCancelled;
    TargetSession s;
    boolean committing;
    synchronized (stateLock) {
      wasCancelled = cancelReason != null;
      reason = wasCancelled ? "cancelled: " + cancelReason : describe(e);
      s = session;
      committing = phase == MigrationPhase.COMMITTING;
    }
    if (wasCancelled) log.info("{}: {}", migrationId, reason);
    else log.warn("{}: migration failed: {}", migrationId, reason, e instanceof RuntimeException ? e : null);
    if (e instanceof InterruptedException) Thread.currentThread().interrupt();
    if (committing) {
      // Only reachable through a bug after the commit was sent: never resume a VM that the
      // destination may be running.
      guard.keepPaused();
      report.outcome(MigrationReport.FAILED, reason + "; commit outcome unknown, VM left paused");
      return finish(
          MigrationPhase.FAILED, reason, SourceVmFate.PAUSED_OUTCOME_UNKNOWN, report, loop, observer,
          timeline, gc);
    }
    if (s != null) s.abort(reason);
    guard.giveBack();
    report.outcome(wasCancelled ? MigrationReport.CANCELLED : MigrationReport.FAILED, reason);
    return finish(
        wasCancelled ? MigrationPhase.CANCELLED : MigrationPhase.FAILED,
        reason,
        SourceVmFate.STAYS_ON_SOURCE,
        report,
        loop,
        observer,
        timeline,
        gc);
  }

  private MigrationResult finish(
      MigrationPhase end,
      String detail,
      SourceVmFate fate,
      MigrationReportBuilder report,
      RoundLoop loop,
      GuestRateObserver observer,
      MigrationTimeline timeline,
      GcPauseRecorder gc) {
    final long tStart = timeline.start;
    timeline.end = clock.nanoTime();
    GcAccounting.Result g = GcAccounting.account(gc, timeline, timeline.dest);
    report.gc(g.report());
    report.jit(jitReport(timeline));
    if (report.downtimeParts() != null)
      report.downtimeParts(
          report.downtimeParts().withGc(g.source().millis(), g.source().count(), g.dest().millis(), g.dest().count()));
    List<TimelineSample> samples = observer.timeline(tStart);
    // Post-copy: the guest ran on the destination from the StartPostcopy answer on; its samples
    // from there to the last page join the source's (clock alignment: PostcopyTimeline).
    if (timeline.postcopyRate != null)
      samples = PostcopyTimeline.merge(samples, (timeline.answer - tStart) / 1e6, timeline.postcopyRate);
    double steady = LostWork.steadyRate(samples);
    if (!(steady > 0)) steady = observer.before();
    // Lost work needs a migration that reached the commit answer (a run that failed before it lost
    // no guest time to a downtime; its slowdown shows in the timeline), or a completed post-copy
    // whose destination sampled its guest up to the last page (without those samples the
    // post-copy phase, blocked vCPUs included, would be missing from the sum).
    if (report.downtimeParts() != null || timeline.postcopyRate != null)
      report
          .lostWorkSeconds(LostWork.seconds(samples, steady))
          .lostWorkNoiseSeconds(LostWork.noiseSeconds(samples, steady));
    report.distributions(loop.batchSendLatency(), loop.syncTime());
    MigrationReport r =
        report
            .totalMillis((clock.nanoTime() - tStart) / 1e6)
            .guestRates(observer.before(), observer.during(), observer.after())
            .rounds(loop.rounds(), loop.switchRound(), loop.maxThrottlePercent())
            .parameters(parametersWithMode())
            .timeline(samples)
            .build();
    if (r.downtimeParts() != null) status.downtime(r.downtimeMillis());
    gcSoFar = null;
    timelineSoFar = null;
    synchronized (stateLock) {
      phase = end;
    }
    listener.onPhase(end, detail);
    listener.onFinished(r);
    return new MigrationResult(r, fate);
  }

  private java.util.Map<String, Object> parametersWithMode() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(currentSettings().asMap());
    postcopy.addTo(m);
    return m;
  }

  private static String describe(Exception e) {
    if (e instanceof MigrationFailure f) return f.getMessage();
    if (e instanceof TransferException) return e.getMessage();
    if (e instanceof InterruptedException) return "interrupted";
    return e.toString();
  }

  private void enterPostcopy() throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
      phase = MigrationPhase.COMMITTING;
      postcopyStarted = true;
    }
    listener.onPhase(MigrationPhase.COMMITTING, "post-copy: the VM resumes on the destination");
  }

  private void enterCommitting() throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
      phase = MigrationPhase.COMMITTING;
    }
    listener.onPhase(MigrationPhase.COMMITTING, "verifying on the destination");
  }

  private void setPhase(MigrationPhase p, String detail) throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
      phase = p;
    }
    listener.onPhase(p, detail);
  }

  /**
   * The page-path warm-up ({@link MigrationSettings#jitWarmUp}), part of setup: guest pages
   * from the start of RAM stream into the destination's scratch memory so that both JVMs compile
   * the page path before round 0 (see WarmUpPages in target.proto). A failed warm-up is logged and
   * the migration goes on without it: it moved no state.
   */
  private void warmUpPagePath(TargetSession s) throws InterruptedException {
    final JitWarmUp warmUp = settings.jitWarmUp();
    if (!warmUp.enabled()) return;
    final GuestMemory mem = vm.memory();
    final long jit0 = JitClock.compileMillis();
    try {
      TargetSession.WarmUp w =
          s.warmUp(mem, VmSpec.RAM_BASE_GFN, warmUp.bytes(), warmUp.maxMillis());
      if (w.bytes() > 0) {
        // What the warm-up's last batches set off compiles now, not in round 0 (CompilerQuiet).
        CompilerQuiet.Outcome q =
            CompilerQuiet.await(
                JitClock::compileMillis, s::peerJitCompileMillis, clock,
                TimeUnit.MILLISECONDS.toNanos(warmUp.maxMillis()) - w.nanos());
        log.info(
            "{}: page-path warm-up: {} MiB in {} ms, then {} ms until both nodes' compilers were{} quiet"
                + " ({} ms of JIT compilation on this node meanwhile)",
            migrationId, w.bytes() >> 20, w.nanos() / 1_000_000, q.waitedMillis(), q.quiet() ? "" : " not yet",
            jit0 < 0 ? "?" : Long.toString(JitClock.compileMillis() - jit0));
      }
    } catch (TransferException e) {
      log.warn("{}: page-path warm-up failed, going on without it: {}", migrationId, e.getMessage());
    }
  }

  private void checkCancelled() throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
    }
  }

  private MigrationFailure cancelledFailure() {
    return new MigrationFailure(phase(), "cancelled", true, null);
  }

  /** JIT compile time in the rounds and in the downtime, or null when the JVM does not report it. */
  static JitReport jitReport(MigrationTimeline t) {
    if (t.jitAtRoundsStart < 0 || t.jitAtPause < 0) return null;
    double rounds = t.jitAtPause - t.jitAtRoundsStart;
    double downtime = t.jitAtAnswer >= t.jitAtPause ? t.jitAtAnswer - t.jitAtPause : 0;
    double wallMillis = (t.pause - t.roundsStart) / 1e6;
    return new JitReport(
        rounds, downtime, wallMillis > 0 ? rounds / wallMillis : 0, t.dest.jitRoundsMillis(), t.dest.jitCommitMillis());
  }
}
