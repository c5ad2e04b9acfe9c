package io.dbmmigrate.source.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.CancelRequest;
import io.dbmmigrate.proto.v1.MigrationControlGrpc;
import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.proto.v1.SetParametersRequest;
import io.dbmmigrate.proto.v1.StartMigrationRequest;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.ReportJson;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two {@code serve} nodes driven through the control API: a VM goes A → B (with the ctl command
 * line) and back B → A (with the gRPC API), digests matching each time; a cancelled migration leaves
 * the VM running where it was and a fresh one then succeeds, with its bandwidth cap lifted at run
 * time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PingPongEndToEndIT {
  private static final Path LOGS = MigrationEndToEndIT.LOGS;
  private NodeProcess a;
  private NodeProcess b;
  private int portA;
  private int portB;

  @BeforeAll
  void startNodes() throws Exception {
    List<String> common = List.of("--port", "0", "--warmup-ms", "200", "--observe-after-ms", "300", "--ram", "32m", "--vcpus", "2");
    List<String> argsA = new ArrayList<>(List.of("serve"));
    argsA.addAll(common);
    List<String> argsB = new ArrayList<>(List.of("serve", "--no-vm"));
    argsB.addAll(common);
    a = NodeProcess.start(LOGS, "serve-a", "512m", NodeProcess.SOURCE_MAIN, argsA);
    b = NodeProcess.start(LOGS, "serve-b", "512m", NodeProcess.SOURCE_MAIN, argsB);
    portA = a.awaitPort(60);
    portB = b.awaitPort(60);
  }

  @AfterAll
  void stopNodes() throws Exception {
    if (a != null) a.close();
    if (b != null) b.close();
  }

  /** Runs a migration through the gRPC control API of the node on {@code from}. */
  private MigrationSummary startAndFollow(
      int from, int to, MigrationParameters params, Consumer<MigrationEvent> onEvent) {
    try (Inspect control = new Inspect(from)) {
      Iterator<MigrationEvent> events =
          MigrationControlGrpc.newBlockingStub(control.channel())
              .withDeadlineAfter(120, TimeUnit.SECONDS)
              .startMigration(
                  StartMigrationRequest.newBuilder().setTarget("127.0.0.1:" + to).setParameters(params).build());
      MigrationSummary summary = null;
      while (events.hasNext()) {
        MigrationEvent e = events.next();
        onEvent.accept(e);
        if (e.hasSummary()) summary = e.getSummary();
      }
      assertThat(summary).as("a summary ends the event stream").isNotNull();
      return summary;
    }
  }

  @Test
  @Order(1)
  void pingAtoBWithTheCtlCommandLine() throws Exception {
    Path report = LOGS.resolve("ping-a-to-b.json");
    Files.deleteIfExists(report);
    NodeProcess ctl =
        NodeProcess.start(LOGS, "ctl-start-a-to-b", "256m", NodeProcess.SOURCE_MAIN,
            List.of(
                "ctl", "start", "--control", "127.0.0.1:" + portA, "--target", "127.0.0.1:" + portB,
                "--dirty-log", "hw-sw", "--report", report.toString()));
    assertThat(ctl.awaitExit(120)).as(ctl.diagnostics() + a.diagnostics()).isZero();
    MigrationReport r = new ReportJson().read(report);
    assertThat(r.match()).isTrue();
    assertThat(r.sourceDigest()).hasSize(64).isEqualTo(r.destDigest());
    assertThat(ctl.stdout()).contains("match");
    try (Inspect ia = new Inspect(portA);
        Inspect ib = new Inspect(portB)) {
      assertThat(ia.progress().getHasVm()).as("A gave its VM away").isFalse();
      assertThat(ib.progress().getVmState()).isEqualTo("running");
      assertThat(ib.storesDuring(200)).isPositive();
    }
  }

  @Test
  @Order(2)
  void pongBtoAWithTheControlApi() throws Exception {
    List<Phase> phases = new ArrayList<>();
    MigrationSummary s =
        startAndFollow(
            portB,
            portA,
            MigrationParameters.newBuilder().setSwitchPolicy("threshold:2000").build(),
            e -> {
              if (e.hasPhase()) phases.add(e.getPhase().getPhase());
            });
    assertThat(s.getOutcome()).as(s.getError()).isEqualTo(Phase.PHASE_COMPLETED);
    assertThat(s.getMatch()).isTrue();
    assertThat(s.getSourceDigest()).isEqualTo(s.getDestDigest());
    assertThat(s.getDirtyLogMode()).isEqualTo("hw-sw");
    assertThat(phases)
        .containsSubsequence(Phase.PHASE_SETUP, Phase.PHASE_ROUNDS, Phase.PHASE_PAUSED, Phase.PHASE_COMMITTING, Phase.PHASE_COMPLETED);
    try (Inspect ia = new Inspect(portA);
        Inspect ib = new Inspect(portB)) {
      assertThat(ib.progress().getHasVm()).isFalse();
      assertThat(ia.progress().getVmState()).isEqualTo("running");
      assertThat(ia.storesDuring(200)).isPositive();
    }
  }

  @Test
  @Order(3)
  void cancelLeavesTheVmRunningAndAFreshMigrationThenSucceeds() throws Exception {
    // A slow link (256 KiB/s) keeps the migration in its rounds until we cancel.
    MigrationParameters slow = MigrationParameters.newBuilder().setMaxBandwidthBytesPerSec(256 << 10).build();
    MigrationSummary cancelled =
        startAndFollow(
            portA,
            portB,
            slow,
            e -> {
              if (e.hasProgress() || e.hasRound()) cancelOnce(portA);
            });
    assertThat(cancelled.getOutcome()).isEqualTo(Phase.PHASE_CANCELLED);
    try (Inspect ia = new Inspect(portA);
        Inspect ib = new Inspect(portB)) {
      assertThat(ia.progress().getVmState()).isEqualTo("running");
      assertThat(ia.storesDuring(200)).isPositive();
      assertThat(ib.progress().getHasVm()).as("the destination discarded the session").isFalse();
    }
    // Again, slow, then lift the cap while it runs: it completes.
    MigrationSummary done =
        startAndFollow(
            portA,
            portB,
            slow,
            e -> {
              if (e.hasProgress() || e.hasRound()) liftCapOnce(portA);
            });
    assertThat(done.getOutcome()).as(done.getError()).isEqualTo(Phase.PHASE_COMPLETED);
    assertThat(done.getMatch()).isTrue();
  }

  private boolean cancelSent;
  private boolean capLifted;

  private void cancelOnce(int port) {
    if (cancelSent) return;
    cancelSent = true;
    try (Inspect c = new Inspect(port)) {
      assertThat(
              MigrationControlGrpc.newBlockingStub(c.channel())
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .cancel(CancelRequest.newBuilder().setReason("test cancel").build())
                  .getCancelled())
          .isTrue();
    }
  }

  private void liftCapOnce(int port) {
    if (capLifted) return;
    capLifted = true;
    try (Inspect c = new Inspect(port)) {
      assertThat(
              MigrationControlGrpc.newBlockingStub(c.channel())
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .setParameters(SetParametersRequest.newBuilder().setMaxBandwidthBytesPerSec(0).build())
                  .getParameters()
                  .getMaxBandwidthBytesPerSec())
          .isZero();
    }
  }
}
