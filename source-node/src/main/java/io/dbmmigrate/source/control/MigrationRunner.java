package io.dbmmigrate.source.control;

import io.dbmmigrate.source.migration.PostcopySettings;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.source.migration.FaultCostMeter;
import io.dbmmigrate.source.migration.MigrationListener;
import io.dbmmigrate.source.migration.MigrationPhase;
import io.dbmmigrate.source.migration.MigrationResult;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.source.migration.PreCopyController;
import io.dbmmigrate.source.migration.SourceVmFate;
import io.dbmmigrate.source.migration.TargetConnector;
import io.dbmmigrate.source.transport.HostPort;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Migrates the VM a node hosts to another node, one migration at a time, and applies the outcome
 * to the node's {@link VmHost}: a VM that moved is closed here; otherwise it stays hosted (running,
 * or paused when the commit's outcome is unknown).
 *
 * <p>Concurrency contract: {@code active}, {@code worker} and {@code lastReport} are guarded by
 * {@code this}. {@link #start} takes the VM from the host ({@code beginMigrateOut}, itself
 * synchronized) so that a second start, or an incoming migration, is refused while one runs.
 * {@link #cancel} and parameter changes go to the active controller, which is thread-safe for them.
 */
public final class MigrationRunner {
  private static final Logger log = LoggerFactory.getLogger(MigrationRunner.class);

  private final VmHost host;
  private final BiFunction<HostPort, MigrationSettings, TargetConnector> connectors;
  private final Function<VirtualMachine, FaultCostMeter> faultCosts;
  private final Supplier<String> migrationIds;
  private final NanoClock clock;
  private volatile String workloadLabel = "unknown";

  private PreCopyController active;
  private FinishAfterHostUpdate activeFinish; // guarded by this, set with active
  private Thread worker;
  private MigrationReport lastReport;

  public MigrationRunner(
      VmHost host,
      BiFunction<HostPort, MigrationSettings, TargetConnector> connectors,
      Function<VirtualMachine, FaultCostMeter> faultCosts,
      Supplier<String> migrationIds,
      NanoClock clock) {
    this.host = host;
    this.connectors = connectors;
    this.faultCosts = faultCosts;
    this.migrationIds = migrationIds;
    this.clock = clock;
  }

  /** The workload named in reports (a received VM keeps the label of the last one hosted). */
  public void setWorkloadLabel(String label) {
    workloadLabel = label;
  }

  /**
   * Starts migrating the hosted VM on a new thread.
   *
   * @throws IllegalStateException when no VM is hosted or a migration already runs
   */
  public synchronized PreCopyController start(
      HostPort target, MigrationSettings settings, MigrationListener listener) {
    return start(target, settings, PostcopySettings.PRECOPY, listener);
  }

  /** Like {@link #start(HostPort, MigrationSettings, MigrationListener)}, in the given mode. */
  public synchronized PreCopyController start(
      HostPort target, MigrationSettings settings, PostcopySettings postcopy, MigrationListener listener) {
    PreCopyController c = prepare(target, settings, postcopy, listener);
    worker = new Thread(() -> runAndApply(c), "migration-" + c.migrationId());
    worker.setDaemon(true);
    worker.start();
    return c;
  }

  /** Migrates the hosted VM on the calling thread. */
  public MigrationResult run(HostPort target, MigrationSettings settings, MigrationListener listener) {
    return run(target, settings, PostcopySettings.PRECOPY, listener);
  }

  /** Migrates the hosted VM on the calling thread, in the given mode. */
  public MigrationResult run(
      HostPort target, MigrationSettings settings, PostcopySettings postcopy, MigrationListener listener) {
    PreCopyController c;
    synchronized (this) {
      c = prepare(target, settings, postcopy, listener);
      worker = Thread.currentThread();
    }
    return runAndApply(c);
  }

  private PreCopyController prepare(
      HostPort target, MigrationSettings settings, PostcopySettings postcopy, MigrationListener listener) {
    if (active != null) throw new IllegalStateException("a migration is already running: " + active.migrationId());
    VirtualMachine vm = host.beginMigrateOut();
    FinishAfterHostUpdate finish = new FinishAfterHostUpdate(listener);
    PreCopyController c =
        new PreCopyController(
            migrationIds.get(),
            vm,
            connectors.apply(target, settings),
            settings,
            finish,
            MemoryDigester.withAvailableProcessors(),
            clock,
            faultCosts.apply(vm),
            workloadLabel,
            postcopy);
    active = c;
    activeFinish = finish;
    return c;
  }

  private MigrationResult runAndApply(PreCopyController c) {
    FinishAfterHostUpdate finish;
    synchronized (this) {
      finish = activeFinish;
    }
    MigrationResult result = null;
    try {
      result = c.run();
      return result;
    } finally {
      if (result != null && result.fate() == SourceVmFate.MOVED) host.migrateOutCompleted();
      else host.migrateOutFailed();
      if (result != null)
        log.info("migration {} ended: {}, VM {}", c.migrationId(), result.report().outcome(), result.fate());
      synchronized (this) {
        active = null;
        worker = null;
        if (result != null) lastReport = result.report();
        activeFinish = null;
        notifyAll();
      }
      // Only now do listeners (the control API's event stream) learn the outcome: whoever reads
      // the summary then finds the VM where it says, and the runner free for the next migration.
      finish.release();
    }
  }

  /**
   * Forwards every event, except that {@code onFinished} is held back until {@link #release}: the
   * controller reports the outcome before the runner has applied it to the host (closed the moved
   * VM or taken it back), and a client acting on the summary must not see the VM still hosted here.
   */
  private static final class FinishAfterHostUpdate implements MigrationListener {
    private final MigrationListener next;
    private volatile MigrationReport report;

    FinishAfterHostUpdate(MigrationListener next) {
      this.next = next;
    }

    @Override
    public void onPhase(MigrationPhase phase, String detail) {
      next.onPhase(phase, detail);
    }

    @Override
    public void onRoundStarted(int round, String mode, long pages) {
      next.onRoundStarted(round, mode, pages);
    }

    @Override
    public void onProgress(int round, long pagesDone, long pagesTotal, long bytesSentTotal) {
      next.onProgress(round, pagesDone, pagesTotal, bytesSentTotal);
    }

    @Override
    public void onRound(RoundRecord round) {
      next.onRound(round);
    }

    @Override
    public void onFinished(MigrationReport r) {
      report = r;
    }

    void release() {
      MigrationReport r = report;
      if (r != null) next.onFinished(r);
    }
  }

  public synchronized Optional<PreCopyController> active() {
    return Optional.ofNullable(active);
  }

  public synchronized Optional<MigrationReport> lastReport() {
    return Optional.ofNullable(lastReport);
  }

  /** Cancels the running migration; false when none runs or it is past the point of no return. */
  public boolean cancel(String reason) {
    PreCopyController c;
    synchronized (this) {
      c = active;
    }
    return c != null && c.cancel(reason);
  }

  /** Waits until no migration runs; false on timeout. */
  public synchronized boolean awaitIdle(long timeoutMillis) throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMillis;
    while (active != null) {
      long left = end - System.currentTimeMillis();
      if (left <= 0) return false;
      wait(left);
    }
    return true;
  }
}
