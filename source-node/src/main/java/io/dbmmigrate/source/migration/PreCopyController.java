package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.VmInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-copy live migration of one VM (DESIGN.md "Migration").
 *
 * <ol>
 *   <li>Setup: open a session on the destination (layout, options), enable dirty logging.
 *   <li>Round 0 sends every page (zero pages become markers).
 *   <li>Each later round: sync the dirty log (in {@code hw-sw}, the round the switch policy picks
 *       syncs with {@code switchToSoftware} instead), send the dirty pages, measure the dirty rate,
 *       the throughput and the estimated downtime = pages expected dirty at the next sync × page
 *       bytes / measured bandwidth; the {@link ConvergenceGovernor} decides to stop, continue,
 *       throttle or abort. A {@code hw-sw} migration that decides to stop while still in hardware
 *       mode runs one more round with the switch first, so that the final sync is O(dirty pages).
 *   <li>Final: pause the vCPUs, final sync, send the last pages, capture the vCPU states, hash all
 *       memory, commit. Downtime = pause → destination ready, both hashings excluded (they are
 *       reported as the verification time beside it).
 * </ol>
 *
 * <p>Failure rule: anything that fails or is cancelled before the commit is sent aborts the
 * destination session (best effort), turns dirty logging off, resets the throttle and resumes the
 * VM on the source if this controller paused it. The source never resumes a VM the destination may
 * be running: a commit whose answer is lost is resolved by probing the destination, and left paused
 * when the destination cannot be reached.
 *
 * <p>Concurrency contract: {@link #run} runs on one thread (the controller thread) and owns every
 * field not listed here. {@code phase}, {@code cancelReason} and {@code session} are guarded by
 * {@code stateLock}: {@link #cancel} (any thread) succeeds only while the phase is before
 * COMMITTING, and the controller moves to COMMITTING under the same lock after checking the
 * reason, so a cancel is either seen before the commit or refused. {@code round} and {@code
 * bytesSentTotal} are read by status queries (volatile / atomic).
 */
public final class PreCopyController {
  private static final Logger log = LoggerFactory.getLogger(PreCopyController.class);
  private static final long PROGRESS_EVERY_NANOS = 200_000_000L;
  private static final long SAMPLE_PERIOD_MILLIS = 100;

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
  private final ConvergenceGovernor governor;
  private final BandwidthEstimator bandwidth = new BandwidthEstimator();
  private final CountDownLatch cancelled = new CountDownLatch(1);

  private final Object stateLock = new Object();
  private MigrationPhase phase = MigrationPhase.SETUP; // guarded by stateLock
  private String cancelReason; // guarded by stateLock
  private TargetSession session; // guarded by stateLock (written once by the controller)

  private volatile int round;
  private final AtomicLong bytesSentTotal = new AtomicLong();

  // Controller-thread state.
  private final List<RoundRecord> rounds = new ArrayList<>();
  private long[] bitmap;
  private DirtyLogMode logMode = DirtyLogMode.OFF;
  private boolean pausedByUs;
  private int throttlePercent;
  private int maxThrottlePercent;
  private int switchRound = -1;
  private long lastHarvestNanos;
  private long lastHwScanNanos;
  private int lastHwScanThreads;
  private GuestWriteSampler sampler;
  private String capturedWorkload; // the workload the vCPUs really ran, once captured

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
    this.governor = new ConvergenceGovernor(settings.onNoConvergence());
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
    return round;
  }

  public long bytesSent() {
    return bytesSentTotal.get();
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

  /** Runs the migration to its end. Never throws: the outcome is in the report. */
  public MigrationResult run() {
    final long tStart0 = clock.nanoTime();
    sampler = new GuestWriteSampler(vm::storesRetired, clock, SAMPLE_PERIOD_MILLIS);
    double before = 0;
    long tStart = tStart0;
    long setupNanos = 0;
    long roundsStartNanos = 0;
    long roundsStartStores = 0;
    double during = 0;
    try {
      connector.warmUp();
      before = warmUp();
      tStart = clock.nanoTime();
      setPhase(MigrationPhase.SETUP, "opening session on the destination");
      sampler.setPhase("setup");
      TargetSession s =
          connector.open(
              VmShape.of(vm),
              new SessionOptions(
                  migrationId,
                  settings.streams(),
                  settings.batchBytes(),
                  settings.compress(),
                  settings.testCorruptGfn()),
              live.limiter());
      synchronized (stateLock) {
        session = s;
      }
      checkCancelled();
      final long tOpened = clock.nanoTime();
      bitmap = GfnBitmap.forMemory(vm.memory());
      DirtyLog dirtyLog = vm.dirtyLog();
      logMode = settings.dirtyLog().initialMode();
      dirtyLog.enable(logMode, settings.dirtyLogOptions());
      lastHarvestNanos = clock.nanoTime();
      setupNanos = lastHarvestNanos - tStart;
      log.info(
          "{}: session open in {} ms, dirty log ({}) enabled in {} ms",
          migrationId,
          (tOpened - tStart) / 1_000_000,
          logMode,
          (lastHarvestNanos - tOpened) / 1_000_000);

      setPhase(MigrationPhase.ROUNDS, "pre-copy with dirty log " + settings.dirtyLog().label());
      roundsStartNanos = clock.nanoTime();
      roundsStartStores = vm.storesRetired();
      RoundRecord last = runRound(0, RoundKind.FULL);
      String stopReason;
      while (true) {
        checkCancelled();
        ConvergenceDecision d =
            governor.decide(
                last.round(),
                last.estimatedDowntimeMillis() < 0 ? Double.NaN : last.estimatedDowntimeMillis(),
                live.downtimeLimitMillis(),
                live.maxRounds(),
                throttlePercent);
        if (d.stops()) {
          stopReason = d.reason();
          log.info("{}: round {}: {}", migrationId, last.round(), d.reason());
          if (settings.dirtyLog().switchesToSw()
              && logMode.hardware()
              && !settings.switchPolicy().neverSwitches()) {
            log.info("{}: switching to software dirty logging before the pause", migrationId);
            last = runRound(last.round() + 1, RoundKind.SWITCH);
          }
          break;
        }
        if (d.action() == ConvergenceDecision.Action.ABORT)
          throw new MigrationFailure(MigrationPhase.ROUNDS, d.reason(), false, null);
        if (d.action() == ConvergenceDecision.Action.THROTTLE) {
          log.info("{}: round {}: {}", migrationId, last.round(), d.reason());
          throttlePercent = d.throttlePercent();
          maxThrottlePercent = Math.max(maxThrottlePercent, throttlePercent);
          vm.setThrottlePercent(throttlePercent);
        }
        boolean doSwitch =
            settings.dirtyLog().switchesToSw()
                && logMode.hardware()
                && last.round() >= 1
                && settings.switchPolicy().shouldSwitch(switchContext(last));
        last = runRound(last.round() + 1, doSwitch ? RoundKind.SWITCH : RoundKind.SYNC);
      }
      long roundsEndNanos = clock.nanoTime();
      during = rate(vm.storesRetired() - roundsStartStores, roundsEndNanos - roundsStartNanos);

      // Final round: from here the guest is paused (downtime starts).
      setPhase(MigrationPhase.PAUSED, stopReason);
      sampler.setPhase("paused");
      final long tPause = clock.nanoTime();
      vm.pause();
      pausedByUs = true;
      runRound(last.round() + 1, RoundKind.FINAL);
      List<VcpuSnapshot> vcpus = vm.captureVcpuStates();
      if (!vcpus.isEmpty()) capturedWorkload = vcpus.get(0).workloadSpec();
      checkCancelled();
      final long tHash = clock.nanoTime();
      Digest sourceDigest = digester.digest(vm.memory(), true);
      final double sourceHashMillis = (clock.nanoTime() - tHash) / 1e6;
      final long tCommit = clock.nanoTime();
      synchronized (stateLock) {
        if (cancelReason != null) throw cancelledFailure();
        phase = MigrationPhase.COMMITTING;
      }
      listener.onPhase(MigrationPhase.COMMITTING, "verifying on the destination");
      sampler.setPhase("commit");
      return commit(s, vcpus, sourceDigest, tStart, tPause, tCommit, sourceHashMillis, setupNanos, before, during);
    } catch (MigrationFailure | TransferException | InterruptedException | RuntimeException e) {
      return failBeforeCommit(e, tStart, setupNanos, before, during);
    } finally {
      sampler.close();
      TargetSession s;
      synchronized (stateLock) {
        s = session;
      }
      if (s != null) s.close();
    }
  }

  private enum RoundKind {
    FULL,
    SYNC,
    SWITCH,
    FINAL
  }

  private RoundRecord runRound(int r, RoundKind kind)
      throws TransferException, InterruptedException, MigrationFailure {
    checkCancelled();
    round = r;
    final GuestMemory mem = vm.memory();
    final long t0 = clock.nanoTime();
    final long stores0 = vm.storesRetired();
    SyncStats stats = null;
    switch (kind) {
      case FULL -> GfnBitmap.setAllPages(bitmap, mem);
      case SYNC, FINAL -> stats = vm.dirtyLog().sync(bitmap);
      case SWITCH -> {
        stats = vm.dirtyLog().switchToSoftware(bitmap);
        logMode = DirtyLogMode.SW;
        switchRound = r;
      }
    }
    final long t1 = clock.nanoTime();
    if (stats != null && stats.mode() == DirtyLogMode.HW) {
      lastHwScanNanos = stats.nanos();
      lastHwScanThreads = stats.threads();
    }
    final long dirty = GfnBitmap.count(bitmap);
    final double dirtyRate = kind == RoundKind.FULL ? 0 : rate(dirty, t1 - lastHarvestNanos);
    if (kind != RoundKind.FULL) lastHarvestNanos = t1;
    final String label =
        switch (kind) {
          case FULL -> "full";
          case FINAL -> "final";
          default -> stats.mode() == DirtyLogMode.SW ? "sw" : stats.mode().cliName();
        };
    if (kind != RoundKind.FINAL) sampler.setPhase(label);
    listener.onRoundStarted(r, label, dirty);

    RoundTransfer tr = currentSession().sendRound(r, bitmap, mem, progressSink(r, dirty));
    GfnBitmap.clear(bitmap);
    final long t2 = clock.nanoTime();
    bandwidth.record(tr.rawBytes(), tr.nanos());

    long remaining;
    double estimate;
    if (kind == RoundKind.FULL) {
      remaining = -1; // no dirty rate measured yet
      estimate = -1;
    } else if (kind == RoundKind.FINAL) {
      remaining = 0;
      estimate = 0;
    } else {
      remaining = Math.min(writablePages(mem), Math.round(dirtyRate * (t2 - t1) / 1e9));
      double e = bandwidth.estimateMillis(remaining);
      estimate = Double.isFinite(e) ? e : -1;
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
            rate(tr.wireBytes(), tr.nanos()),
            remaining,
            estimate,
            kind == RoundKind.FINAL ? 0 : rate(vm.storesRetired() - stores0, t2 - t0),
            throttlePercent);
    rounds.add(rec);
    listener.onRound(rec);
    return rec;
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
      long total = bytesSentTotal.addAndGet(wireBytes);
      long now = clock.nanoTime();
      long prev = lastEmit.get();
      if ((now - prev >= PROGRESS_EVERY_NANOS || done == pagesTotal) && lastEmit.compareAndSet(prev, now))
        listener.onProgress(r, done, pagesTotal, total);
    };
  }

  private MigrationResult commit(
      TargetSession s,
      List<VcpuSnapshot> vcpus,
      Digest sourceDigest,
      long tStart,
      long tPause,
      long tCommit,
      double sourceHashMillis,
      long setupNanos,
      double before,
      double during) {
    CommitOutcome out;
    try {
      out = s.commit(vcpus, sourceDigest, !settings.verifyOnly());
    } catch (TransferException | RuntimeException e) {
      return commitAnswerLost(e, s, sourceDigest, tStart, setupNanos, before, during);
    }
    final long tReady = clock.nanoTime();
    sampler.close(); // the source's guest no longer runs here; "after" samples come from the destination
    double downtime = (tCommit - tPause) / 1e6 - sourceHashMillis + out.readyMillis();
    double verify = sourceHashMillis + out.verifyMillis();
    safely("disable dirty logging", () -> vm.dirtyLog().disable());
    SourceVmFate fate;
    String outcome;
    String error = null;
    if (out.match() && out.resumed()) {
      fate = SourceVmFate.MOVED;
      outcome = MigrationReport.COMPLETED;
    } else {
      safely("reset throttle", () -> vm.setThrottlePercent(0));
      vm.resume();
      pausedByUs = false;
      if (out.match() && settings.verifyOnly()) {
        fate = SourceVmFate.VERIFIED_STAYS_ON_SOURCE;
        outcome = MigrationReport.COMPLETED;
      } else {
        fate = SourceVmFate.STAYS_ON_SOURCE;
        outcome = MigrationReport.FAILED;
        error =
            (out.match() ? "destination did not resume" : "digest MISMATCH")
                + (out.detail().isEmpty() ? "" : ": " + out.detail())
                + (out.mismatchedRanges().isEmpty()
                    ? ""
                    : " (differing ranges " + out.mismatchedRanges() + ")");
      }
    }
    double after = 0;
    if (fate == SourceVmFate.MOVED) after = observeAfter(s);
    MigrationPhase end =
        MigrationReport.COMPLETED.equals(outcome) ? MigrationPhase.COMPLETED : MigrationPhase.FAILED;
    MigrationReport report =
        report(
            outcome,
            error,
            out.match(),
            out.resumed(),
            sourceDigest.hex(),
            out.destDigestHex(),
            (tReady - tStart) / 1e6,
            setupNanos / 1e6,
            downtime,
            verify,
            before,
            during,
            after,
            tStart);
    finish(end, error == null ? "verified: digests match" : error, report);
    return new MigrationResult(report, fate);
  }

  /** The commit was sent but its answer did not arrive: find out whether the destination runs it. */
  private MigrationResult commitAnswerLost(
      Exception e,
      TargetSession s,
      Digest sourceDigest,
      long tStart,
      long setupNanos,
      double before,
      double during) {
    DestinationProbe probe = s.probe();
    log.warn("{}: commit answer lost ({}); destination probe: {}", migrationId, e.getMessage(), probe);
    safely("disable dirty logging", () -> vm.dirtyLog().disable());
    SourceVmFate fate;
    String error = "commit answer lost (" + e.getMessage() + "); ";
    switch (probe) {
      case RUNNING -> {
        fate = SourceVmFate.MOVED;
        error += "the destination runs the VM (unverified by the source)";
      }
      case NOT_RUNNING -> {
        s.abort("commit answer lost");
        safely("reset throttle", () -> vm.setThrottlePercent(0));
        vm.resume();
        pausedByUs = false;
        fate = SourceVmFate.STAYS_ON_SOURCE;
        error += "the destination does not run the VM; resumed on the source";
      }
      default -> {
        fate = SourceVmFate.PAUSED_OUTCOME_UNKNOWN;
        error += "the destination cannot be reached; the VM stays PAUSED on the source";
      }
    }
    MigrationReport report =
        report(
            MigrationReport.FAILED,
            error,
            false,
            probe == DestinationProbe.RUNNING,
            sourceDigest.hex(),
            "",
            (clock.nanoTime() - tStart) / 1e6,
            setupNanos / 1e6,
            0,
            0,
            before,
            during,
            0,
            tStart);
    finish(MigrationPhase.FAILED, error, report);
    return new MigrationResult(report, fate);
  }

  private MigrationResult failBeforeCommit(
      Exception e, long tStart, long setupNanos, double before, double during) {
    String reason;
    boolean wasCancelled;
    synchronized (stateLock) {
      wasCancelled = cancelReason != null;
      reason = wasCancelled ? "cancelled: " + cancelReason : describe(e);
    }
    if (wasCancelled) log.info("{}: {}", migrationId, reason);
    else log.warn("{}: migration failed: {}", migrationId, reason, e instanceof RuntimeException ? e : null);
    TargetSession s;
    boolean committing;
    synchronized (stateLock) {
      s = session;
      committing = phase == MigrationPhase.COMMITTING;
    }
    if (committing) {
      // Only reachable through a bug after the commit was sent: never resume a VM that the
      // destination may be running.
      safely("disable dirty logging", () -> vm.dirtyLog().disable());
      MigrationReport report =
          report(MigrationReport.FAILED, reason + "; commit outcome unknown, VM left paused",
              false, false, "", "", (clock.nanoTime() - tStart) / 1e6, setupNanos / 1e6, 0, 0,
              before, during, 0, tStart);
      finish(MigrationPhase.FAILED, reason, report);
      return new MigrationResult(report, SourceVmFate.PAUSED_OUTCOME_UNKNOWN);
    }
    if (s != null) s.abort(reason);
    safely("reset throttle", () -> vm.setThrottlePercent(0));
    if (logMode != DirtyLogMode.OFF) safely("disable dirty logging", () -> vm.dirtyLog().disable());
    if (pausedByUs) {
      safely("resume the VM", vm::resume);
      pausedByUs = false;
    }
    if (e instanceof InterruptedException) Thread.currentThread().interrupt();
    MigrationReport report =
        report(
            wasCancelled ? MigrationReport.CANCELLED : MigrationReport.FAILED,
            reason,
            false,
            false,
            "",
            "",
            (clock.nanoTime() - tStart) / 1e6,
            setupNanos / 1e6,
            0,
            0,
            before,
            during,
            0,
            tStart);
    finish(wasCancelled ? MigrationPhase.CANCELLED : MigrationPhase.FAILED, reason, report);
    return new MigrationResult(report, SourceVmFate.STAYS_ON_SOURCE);
  }

  private static String describe(Exception e) {
    if (e instanceof MigrationFailure f) return f.getMessage();
    if (e instanceof TransferException) return e.getMessage();
    if (e instanceof InterruptedException) return "interrupted";
    return e.toString();
  }

  /** Lets the guest run for the warm-up, measuring its write rate ("before"). */
  private double warmUp() throws MigrationFailure, InterruptedException {
    if (!vm.isRunning()) vm.resume();
    long t0 = clock.nanoTime();
    long s0 = vm.storesRetired();
    if (settings.warmupMillis() == 0) return 0;
    if (cancelled.await(settings.warmupMillis(), TimeUnit.MILLISECONDS)) throw cancelledFailure();
    return rate(vm.storesRetired() - s0, clock.nanoTime() - t0);
  }

  /** Samples the destination's guest after resume; returns its write rate (0 when unknown). */
  private double observeAfter(TargetSession s) {
    if (settings.observeAfterMillis() <= 0) return 0;
    long end = clock.nanoTime() + settings.observeAfterMillis() * 1_000_000L;
    long firstNanos = 0;
    long firstStores = -1;
    long prevNanos = 0;
    long prevStores = -1;
    double after = 0;
    try {
      while (true) {
        OptionalLong stores = s.destinationStoresRetired();
        long now = clock.nanoTime();
        if (stores.isEmpty()) break;
        if (prevStores >= 0) {
          sampler.add(now, rate(stores.getAsLong() - prevStores, now - prevNanos), "after");
          after = rate(stores.getAsLong() - firstStores, now - firstNanos);
        } else {
          firstNanos = now;
          firstStores = stores.getAsLong();
        }
        prevNanos = now;
        prevStores = stores.getAsLong();
        if (now >= end) break;
        clock.sleepNanos(SAMPLE_PERIOD_MILLIS * 1_000_000L);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return after;
  }

  private MigrationReport report(
      String outcome,
      String error,
      boolean match,
      boolean resumed,
      String sourceDigest,
      String destDigest,
      double totalMillis,
      double setupMillis,
      double downtimeMillis,
      double verifyMillis,
      double before,
      double during,
      double after,
      long tStart) {
    long bytes = 0;
    long pages = 0;
    long zero = 0;
    for (RoundRecord r : rounds) {
      bytes += r.bytesSent();
      pages += r.pagesSent();
      zero += r.zeroPages();
    }
    VmShape shape = VmShape.of(vm);
    return new MigrationReport(
        migrationId,
        outcome,
        error,
        match,
        resumed,
        sourceDigest,
        destDigest,
        settings.dirtyLog().label(),
        settings.switchPolicy().label(),
        rounds.size(),
        switchRound,
        finite(totalMillis),
        finite(setupMillis),
        finite(downtimeMillis),
        finite(verifyMillis),
        bytes,
        pages,
        zero,
        finite(before),
        finite(during),
        finite(after),
        maxThrottlePercent,
        currentSettings().asMap(),
        new VmInfo(
            shape.ramBytes(),
            shape.romBytes(),
            shape.vcpus(),
            shape.backing() == BackingPageSize.SIZE_2M ? "2m" : "4k",
            capturedWorkload != null ? capturedWorkload : workloadLabel),
        rounds,
        sampler.timeline(tStart));
  }

  private void finish(MigrationPhase end, String detail, MigrationReport report) {
    synchronized (stateLock) {
      phase = end;
    }
    listener.onPhase(end, detail);
    listener.onFinished(report);
  }

  private void setPhase(MigrationPhase p, String detail) throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
      phase = p;
    }
    listener.onPhase(p, detail);
  }

  private void checkCancelled() throws MigrationFailure {
    synchronized (stateLock) {
      if (cancelReason != null) throw cancelledFailure();
    }
  }

  private MigrationFailure cancelledFailure() {
    return new MigrationFailure(phase(), "cancelled", true, null);
  }

  private TargetSession currentSession() {
    synchronized (stateLock) {
      return session;
    }
  }

  private static long writablePages(GuestMemory mem) {
    long n = 0;
    for (MemorySlotSpec s : mem.slots()) if (!s.readOnly()) n += s.pageCount();
    return n;
  }

  private static double rate(double amount, long nanos) {
    return nanos <= 0 ? 0 : amount * 1e9 / nanos;
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private void safely(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("{}: could not {}: {}", migrationId, what, e.toString());
    }
  }
}
