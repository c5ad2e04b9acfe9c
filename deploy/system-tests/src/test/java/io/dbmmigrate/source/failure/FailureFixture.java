package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.ConvergencePolicy;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.DirtyLogMode;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * Shared pieces of the multi-process failure tests: node start-up with the settings the tests
 * state their bounds in, migration parameters, and the checks that say where the VM runs.
 */
final class FailureFixture implements AutoCloseable {
  /** Guest of the failure tests: small enough for CI, busy enough that rounds take seconds under the cap. */
  static final String RAM = "32m";
  /** 2 vCPUs × 24 MB/s of page writes: more than the 8 MiB/s cap below can follow. */
  static final String WORKLOAD = "random:rate=24";
  /** Source watchdog and deadlines the detection bounds are stated in. */
  static final long STREAM_STALL_MILLIS = 3_000;
  static final long RPC_TIMEOUT_MILLIS = 3_000;
  /** Destination: a session that hears nothing this long is discarded (reaper runs every 1 s). */
  static final long DEST_IDLE_MILLIS = 4_000;

  final Path dir;
  private final long t0 = System.nanoTime();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<NodeClient> clients = new ArrayList<>();

  FailureFixture(Path dir) {
    // No skip guard: both node main classes are on this module's test class path by construction
    // (source-node and dest-node/app in test scope); a missing one must fail, not skip.
    this.dir = dir;
  }

  NodeProcess destination(String name, String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of("--session-idle-timeout-ms", Long.toString(DEST_IDLE_MILLIS)));
    a.addAll(List.of(extra));
    NodeProcess p = NodeProcess.destination(dir, name, "384m", a.toArray(String[]::new));
    nodes.add(p);
    step(name + " listening on " + p.port());
    return p;
  }

  /** A source node serving the control API, hosting a running VM. */
  NodeProcess servingSource(String name, String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of(
        "serve", "--port", "0", "--ram", RAM, "--vcpus", "2", "--workload", WORKLOAD, "--seed", "7",
        "--warmup-ms", "200", "--observe-after-ms", "0",
        "--stream-stall-ms", Long.toString(STREAM_STALL_MILLIS), "--rpc-timeout-ms", Long.toString(RPC_TIMEOUT_MILLIS)));
    a.addAll(List.of(extra));
    NodeProcess p = NodeProcess.source(dir, name, "512m", a.toArray(String[]::new));
    nodes.add(p);
    step(name + " listening on " + p.port());
    return p;
  }

  /** Prints a time-stamped step (the test output shows where the time goes). */
  void step(String what) {
    System.out.printf("[%6d ms] %s%n", (System.nanoTime() - t0) / 1_000_000, what);
  }

  NodeClient client(NodeProcess p) throws InterruptedException {
    NodeClient c = new NodeClient(p);
    clients.add(c);
    return c;
  }

  /**
   * A migration that stays in pre-copy for seconds: capped at 8 MiB/s (a 32 MiB round takes about
   * 4 s), forced to stop after 4 rounds.
   */
  static MigrationParameters slow() {
    return MigrationParameters.newBuilder()
        .setDirtyLogMode(DirtyLogMode.DIRTY_LOG_MODE_HW_SW)
        .setSwitchPolicy("cost")
        .setStreams(2)
        .setMaxBandwidthBytesPerSec(8L << 20)
        .setMaxRounds(4)
        .setConvergence(ConvergencePolicy.CONVERGENCE_POLICY_FORCE)
        .setTestCorruptGfn(-1)
        .build();
  }

  /** A migration that completes quickly on loopback: no cap, forced after 8 rounds. */
  static MigrationParameters fast() {
    return slow().toBuilder().setMaxBandwidthBytesPerSec(0).setMaxRounds(8).setDowntimeLimitMillis(500).build();
  }

  /** The node hosts a running VM whose vCPUs retire stores. */
  static void assertRunsAndProgresses(NodeClient node, String who) {
    DigestResponse a = node.progress();
    assertThat(a.getHasVm()).as(who + " hosts a VM").isTrue();
    assertThat(a.getVmState()).as(who + " VM state").isEqualTo("running");
    Awaitility.await(who + " vCPUs make progress").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> node.progress().getStoresRetired() > a.getStoresRetired());
  }

  /** The node hosts no VM (nothing resumed, nothing half-received). */
  static void assertHostsNothing(NodeClient node, String who) {
    DigestResponse d = node.progress();
    assertThat(d.getHasVm()).as(who + " hosts no VM").isFalse();
    assertThat(d.getVmState()).as(who + " state").isEqualTo("none");
  }

  static void awaitHostsNothing(NodeClient node, String who, Duration within) {
    Awaitility.await(who + " discards the session").atMost(within).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          DigestResponse d = node.progress();
          return !d.getHasVm() && d.getVmState().equals("none");
        });
  }

  /** A verified, resumed migration: digests equal, VM running on the destination only. */
  static void assertMoved(MigrationSummary s, NodeClient source, NodeClient dest) {
    assertThat(s.getOutcome()).as("outcome: " + s.getError()).isEqualTo(Phase.PHASE_COMPLETED);
    assertThat(s.getMatch()).isTrue();
    assertThat(s.getResumed()).isTrue();
    assertThat(s.getSourceDigest()).isEqualTo(s.getDestDigest());
    assertThat(s.getSourceDigest().size()).isEqualTo(32);
    // The summary is published only after the source node has closed the moved VM.
    assertHostsNothing(source, "source after the move");
    assertRunsAndProgresses(dest, "destination after the move");
  }

  @Override
  public void close() {
    clients.forEach(NodeClient::close);
    nodes.forEach(NodeProcess::close);
  }

  String logs() {
    StringBuilder sb = new StringBuilder();
    for (NodeProcess n : nodes) sb.append("---- ").append(n.name).append(" log tail\n").append(n.logTail(30)).append('\n');
    return sb.toString();
  }
}
