package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.DowntimeBreakdown;
import io.dbmmigrate.proto.v1.GcPhasePauses;
import io.dbmmigrate.proto.v1.MigrationControlGrpc;
import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationStatus;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.StartMigrationRequest;
import io.dbmmigrate.proto.v1.StatusRequest;
import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.source.control.MigrationControlService;
import io.dbmmigrate.source.control.MigrationMetrics;
import io.dbmmigrate.source.control.MigrationRunner;
import io.dbmmigrate.source.control.ProtoEvents;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15 items 2 and 5 through the real gRPC control service (in-process transport): the status
 * call's summary carries the downtime's parts, and while a migration runs, its live statistics and
 * the Prometheus gauges carry the collector pauses per phase.
 */
@Timeout(60)
class ControlServiceFidelityTest {
  private final FakeClock clock = new FakeClock();
  private final FakeTarget target = new FakeTarget(clock);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void statusCarriesTheDowntimePartsAndLiveGcPerPhase() throws Exception {
    MigrationSettings settings =
        new MigrationSettings(
            DirtyLogStrategy.HW, SwitchPolicy.parse("cost"), 1, 4, NoConvergenceAction.FORCE, 1, 1 << 20, false, 0, 2,
            512L << 20, false, -1, 0, 300, 1000, 1000);
    VmHost host = new VmHost();
    host.host(new FakeVm(clock, i -> 300), "random");
    MigrationRunner runner =
        new MigrationRunner(host, (hp, s) -> target, vm -> FaultCostMeter.UNKNOWN, () -> "m-ctl", clock);
    MigrationMetrics.bind(registry, runner);
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name).addService(new MigrationControlService(runner, settings)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    MigrationControlGrpc.MigrationControlBlockingStub stub = MigrationControlGrpc.newBlockingStub(channel);

    // mid-migration (before round 2 is sent): the status call and a scrape, from the controller thread
    AtomicReference<MigrationStatus> during = new AtomicReference<>();
    AtomicReference<String> scrape = new AtomicReference<>();
    target.beforeRound =
        r -> {
          if (r != 2) return;
          during.set(stub.withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(StatusRequest.getDefaultInstance()));
          scrape.set(registry.scrape());
        };

    Iterator<MigrationEvent> events =
        stub.withDeadlineAfter(50, TimeUnit.SECONDS)
            .startMigration(
                StartMigrationRequest.newBuilder()
                    .setTarget("localhost:1")
                    .setParameters(MigrationParameters.getDefaultInstance())
                    .build());
    MigrationSummary streamed = null;
    while (events.hasNext()) {
      MigrationEvent e = events.next();
      if (e.hasSummary()) streamed = e.getSummary();
    }
    assertThat(streamed).isNotNull();
    assertThat(runner.awaitIdle(10_000)).isTrue();

    // live, while rounds ran: one row per phase, in order, consistent with the JVM-wide totals
    MigrationStatus live = during.get();
    assertThat(live.getActive()).isTrue();
    assertThat(live.getLive().getGcPhasesList())
        .extracting(GcPhasePauses::getPhase)
        .containsExactly("setup", "rounds", "downtime", "commit");
    assertThat(live.getLive().getGcPhasesList()).allMatch(g -> g.getNode().equals("source"));
    long perPhase = live.getLive().getGcPhasesList().stream().mapToLong(GcPhasePauses::getPauses).sum();
    assertThat(perPhase).isLessThanOrEqualTo(live.getLive().getGcPauses());
    assertThat(scrape.get())
        .contains("dbm_migration_gc_phase_pauses{phase=\"rounds\"}", "dbm_migration_gc_phase_pause_ms{phase=\"downtime\"}");

    // after: the status call's summary carries the report's downtime parts
    MigrationReport report = runner.lastReport().orElseThrow();
    DowntimeParts parts = report.downtimeParts();
    assertThat(parts).isNotNull();
    MigrationSummary last = stub.getStatus(StatusRequest.getDefaultInstance()).getLastSummary();
    assertThat(last.hasDowntimeParts()).isTrue();
    DowntimeBreakdown d = last.getDowntimeParts();
    assertThat(d.getFinalSyncMillis()).isEqualTo(parts.finalSyncMillis());
    assertThat(d.getFinalSendMillis()).isEqualTo(parts.finalSendMillis()).isPositive();
    assertThat(d.getFinalSendPages()).isEqualTo(parts.finalSendPages());
    assertThat(d.getVcpuCaptureMillis()).isEqualTo(parts.vcpuCaptureMillis());
    assertThat(d.getCommitExchangeMillis()).isEqualTo(parts.commitExchangeMillis());
    assertThat(d.getUnaccountedMillis()).isEqualTo(parts.unaccountedMillis());
    assertThat(d.getSourceGcCount()).isEqualTo(parts.sourceGcCount());
    assertThat(d.getDestGcMillis()).isEqualTo(parts.destGcMillis());
    assertThat(last.getPredictedDowntimeMillis()).isEqualTo(report.predictedDowntimeMillis());
    assertThat(last.getBatchSendLatency().getCount()).isEqualTo(report.batchSendLatency().count()).isPositive();
    assertThat(last.getSyncTime().getMaxMillis()).isEqualTo(report.syncTime().maxMillis());
    assertThat(last.getGc().getPhasesList()).hasSize(report.gc().phases().size());
    assertThat(last).isEqualTo(streamed);

    // and a report rebuilt from the summary (ctl start --report) has the same fidelity block
    MigrationReport back = ProtoEvents.fromProto(last, report.switchPolicy(), report.parameters(), report.vm(), List.of());
    assertThat(back.downtimeParts()).isEqualTo(parts);
    assertThat(back.batchSendLatency()).isEqualTo(report.batchSendLatency());
    assertThat(back.syncTime()).isEqualTo(report.syncTime());
    assertThat(back.gc()).isEqualTo(report.gc());
    assertThat(back.lostWorkSeconds()).isEqualTo(report.lostWorkSeconds());
    assertThat(back.lostWorkNoiseSeconds()).isEqualTo(report.lostWorkNoiseSeconds());
  }
}
