package io.dbmmigrate.source.control;

import io.dbmmigrate.report.GcPhaseStats;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.source.migration.LiveStatus;
import io.dbmmigrate.source.migration.MigrationPhase;
import io.dbmmigrate.source.migration.PreCopyController;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The source's {@code query-migrate} statistics as Prometheus gauges (issue 15 item 5), read at
 * scrape time from the runner's active migration ({@link PreCopyController#status()}), or from the
 * last report once it ended. Names (Prometheus form): {@code dbm_migration_active}, {@code
 * dbm_migration_phase} (the {@link MigrationPhase} ordinal), {@code dbm_migration_round}, {@code
 * dbm_migration_total_ms}, {@code dbm_migration_setup_ms}, {@code dbm_migration_downtime_ms},
 * {@code dbm_migration_expected_downtime_ms}, {@code dbm_migration_transferred_bytes}, {@code
 * dbm_migration_remaining_pages}, {@code dbm_migration_zero_pages}, {@code
 * dbm_migration_normal_pages}, {@code dbm_migration_dirty_pages_rate}, {@code
 * dbm_migration_throughput_bytes_per_second}, {@code dbm_migration_dirty_sync_count}, {@code
 * dbm_migration_gc_pauses} and {@code dbm_migration_gc_pause_ms} (this JVM, since the migration
 * started), and per phase {@code dbm_migration_gc_phase_pauses{phase}} and {@code
 * dbm_migration_gc_phase_pause_ms{phase}} (see {@link #gcPerPhase}). A gauge reads NaN when its value is unknown (no migration yet, no estimate yet).
 */
public final class MigrationMetrics {
  private MigrationMetrics() {}

  public static void bind(MeterRegistry registry, MigrationRunner runner) {
    gauge(registry, "dbm.migration.active", runner, r -> r.active().isPresent() ? 1 : 0);
    gauge(
        registry,
        "dbm.migration.phase",
        runner,
        r -> r.active().map(c -> (double) c.phase().ordinal()).orElse(lastPhase(r)));
    live(registry, runner, "dbm.migration.round", s -> s.round());
    live(registry, runner, "dbm.migration.total.ms", LiveStatus.Snapshot::totalMillis, MigrationReport::totalMillis);
    live(registry, runner, "dbm.migration.setup.ms", LiveStatus.Snapshot::setupMillis, MigrationReport::setupMillis);
    live(registry, runner, "dbm.migration.downtime.ms", LiveStatus.Snapshot::downtimeMillis, MigrationReport::downtimeMillis);
    live(registry, runner, "dbm.migration.expected.downtime.ms", LiveStatus.Snapshot::expectedDowntimeMillis);
    live(registry, runner, "dbm.migration.transferred.bytes", s -> s.bytesSent(), r -> r.bytesSent());
    live(registry, runner, "dbm.migration.remaining.pages", s -> s.remainingPages());
    live(registry, runner, "dbm.migration.zero.pages", s -> s.zeroPages(), r -> r.zeroPages());
    live(registry, runner, "dbm.migration.normal.pages", s -> s.normalPages(), r -> r.pagesSent() - r.zeroPages());
    live(registry, runner, "dbm.migration.dirty.pages.rate", LiveStatus.Snapshot::dirtyPagesRate);
    live(registry, runner, "dbm.migration.throughput.bytes.per.second", LiveStatus.Snapshot::throughputBytesPerSec);
    live(registry, runner, "dbm.migration.dirty.sync.count", s -> s.dirtySyncCount());
    gauge(registry, "dbm.migration.gc.pauses", runner, r -> r.active().map(c -> (double) c.gcSoFar()[0]).orElse(Double.NaN));
    gauge(
        registry,
        "dbm.migration.gc.pause.ms",
        runner,
        r -> r.active().map(c -> c.gcSoFar()[1] / 1e6).orElse(Double.NaN));
    gcPerPhase(registry, runner);
  }

  /** The migration phases the collector view splits pauses into (GcPhaseStats#phase). */
  static final List<String> GC_PHASES = List.of("setup", "rounds", "downtime", "commit");

  /**
   * issue 15 (stats): {@code dbm_migration_gc_phase_pauses{phase=...}} and {@code
   * dbm_migration_gc_phase_pause_ms{phase=...}}: the source's collector pauses per phase, live while
   * a migration runs, then the last report's source rows.
   */
  private static void gcPerPhase(MeterRegistry registry, MigrationRunner runner) {
    for (String phase : GC_PHASES) {
      Gauge.builder("dbm.migration.gc.phase.pauses", runner, r -> gcPhase(r, phase, false))
          .tag("phase", phase)
          .strongReference(true)
          .register(registry);
      Gauge.builder("dbm.migration.gc.phase.pause.ms", runner, r -> gcPhase(r, phase, true))
          .tag("phase", phase)
          .strongReference(true)
          .register(registry);
    }
  }

  private static double gcPhase(MigrationRunner r, String phase, boolean millis) {
    Optional<PreCopyController> c = r.active();
    List<GcPhaseStats> rows;
    if (c.isPresent()) rows = c.get().gcPhasesSoFar();
    else {
      Optional<MigrationReport> last = r.lastReport();
      if (last.isEmpty() || last.get().gc() == null) return Double.NaN;
      rows = last.get().gc().phases();
    }
    for (GcPhaseStats g : rows)
      if (g.node().equals("source") && g.phase().equals(phase)) return millis ? g.pauseMillis() : g.count();
    return Double.NaN;
  }

  private static double lastPhase(MigrationRunner r) {
    Optional<MigrationReport> last = r.lastReport();
    if (last.isEmpty()) return Double.NaN;
    return switch (last.get().outcome()) {
      case MigrationReport.COMPLETED -> MigrationPhase.COMPLETED.ordinal();
      case MigrationReport.CANCELLED -> MigrationPhase.CANCELLED.ordinal();
      default -> MigrationPhase.FAILED.ordinal();
    };
  }

  private static void live(
      MeterRegistry registry, MigrationRunner runner, String name, ToDoubleFunction<LiveStatus.Snapshot> f) {
    live(registry, runner, name, f, r -> Double.NaN);
  }

  private static void live(
      MeterRegistry registry,
      MigrationRunner runner,
      String name,
      ToDoubleFunction<LiveStatus.Snapshot> f,
      ToDoubleFunction<MigrationReport> ended) {
    gauge(
        registry,
        name,
        runner,
        r -> {
          Optional<PreCopyController> c = r.active();
          if (c.isPresent()) return f.applyAsDouble(c.get().status());
          return r.lastReport().map(ended::applyAsDouble).orElse(Double.NaN);
        });
  }

  private static void gauge(MeterRegistry registry, String name, MigrationRunner runner, ToDoubleFunction<MigrationRunner> f) {
    Gauge.builder(name, runner, f).strongReference(true).register(registry);
  }
}
