package io.dbmmigrate.source.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.ReportJson;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Live migrations between two real JVMs: a dest-node process (shared by the tests; it replaces the
 * VM it received when the next migration arrives) and one source-node {@code migrate} process per
 * test. Logs go to target/e2e-logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationEndToEndIT {
  static final Path LOGS = Path.of("target", "e2e-logs");
  private NodeProcess dest;
  private int destPort;

  record Run(int exitCode, MigrationReport report, NodeProcess process) {
    RoundRecord last() {
      return report.roundStats().get(report.roundStats().size() - 1);
    }
  }

  @BeforeAll
  void startDestination() throws Exception {
    dest = NodeProcess.start(LOGS, "dest", "1g", NodeProcess.DEST_MAIN, List.of("--port", "0", "--allow-test-faults", "--accept-replace"));
    destPort = dest.awaitPort(60);
  }

  @AfterAll
  void stopDestination() throws Exception {
    if (dest != null) dest.close();
  }

  private Run migrate(String name, String... extra) throws Exception {
    Path report = LOGS.resolve(name + ".json");
    Files.deleteIfExists(report);
    List<String> args =
        new ArrayList<>(
            List.of(
                "migrate",
                "--target", "127.0.0.1:" + destPort,
                "--no-progress",
                "--report", report.toString(),
                "--warmup-ms", "200",
                // long enough for the destination's vCPU threads to be scheduled on a loaded
                // 2-core CI machine (200 ms once measured 0 writes after resume there)
                "--observe-after-ms", "1000",
                "--vcpus", "2",
                "--streams", "2"));
    args.addAll(List.of(extra));
    NodeProcess p = NodeProcess.start(LOGS, name, "512m", NodeProcess.SOURCE_MAIN, args);
    int code = p.awaitExit(120);
    assertThat(Files.exists(report)).as("report written" + p.diagnostics()).isTrue();
    return new Run(code, new ReportJson().read(report), p);
  }

  @ParameterizedTest(name = "{0} on {1} backing")
  @CsvSource({"sw,4k", "hw,4k", "hw-sw,4k", "sw,2m", "hw,2m", "hw-sw,2m"})
  void migratesWithMatchingDigestsWhileTheGuestRuns(String mode, String backing) throws Exception {
    Run run = migrate("mode-" + mode + "-" + backing, "--ram", "32m", "--backing", backing, "--dirty-log", mode);
    MigrationReport r = run.report();
    assertThat(run.exitCode()).as("exit code" + run.process().diagnostics()).isZero();
    assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
    assertThat(r.match()).isTrue();
    assertThat(r.sourceDigest()).hasSize(64).isEqualTo(r.destDigest());
    assertThat(r.resumed()).isTrue();
    assertThat(r.dirtyLogMode()).isEqualTo(mode);
    assertThat(r.vm().backing()).isEqualTo(backing);
    // the page path was warmed up before round 0 (--jit-warm-up's default), into scratch memory
    assertThat(run.process().logContains("page-path warm-up: ")).as(run.process().diagnostics()).isTrue();
    // both JVMs' compile time is in the report (HotSpot reports it)
    assertThat(r.jit()).isNotNull();
    assertThat(r.jit().destRoundsMillis()).as("the destination's JIT in the rounds").isNotNull().isNotNegative();
    assertThat(r.jit().destCommitMillis()).isNotNull().isNotNegative();
    assertThat(r.rounds()).isGreaterThanOrEqualTo(3); // full, at least one dirty round, final
    // the vCPUs made progress in every pre-copy round (the final round runs paused)
    List<RoundRecord> precopy = r.roundStats().subList(0, r.roundStats().size() - 1);
    assertThat(precopy).allSatisfy(x -> assertThat(x.guestWritesPerSec()).as("round %d", x.round()).isPositive());
    assertThat(run.last().mode()).isEqualTo("final");
    if (mode.equals("hw-sw")) assertThat(r.switchRound()).isBetween(1, r.rounds() - 2);
    else assertThat(r.switchRound()).isEqualTo(-1);
    // ... and keep making progress on the destination after resume
    assertThat(r.guestWritesPerSecAfter()).isPositive();
    try (Inspect d = new Inspect(destPort)) {
      DigestResponse now = d.progress();
      assertThat(now.getHasVm()).isTrue();
      assertThat(now.getVmState()).isEqualTo("running");
      assertThat(d.storesDuring(200)).isPositive();
    }
  }

  @Test
  void finalSyncVisitsOnlyDirtyPagesInHwSwButAllPtesInHw() throws Exception {
    long ramPages = (128L << 20) / 4096;
    // A moderate dirty rate keeps the final round small next to the 32768 PTEs of the RAM slot.
    Run hw = migrate("final-sync-hw", "--ram", "128m", "--dirty-rate", "10", "--dirty-log", "hw");
    Run hwSw = migrate("final-sync-hw-sw", "--ram", "128m", "--dirty-rate", "10", "--dirty-log", "hw-sw");
    assertThat(hw.exitCode()).as(hw.process().diagnostics()).isZero();
    assertThat(hwSw.exitCode()).as(hwSw.process().diagnostics()).isZero();
    RoundRecord hwFinal = hw.last();
    RoundRecord hwSwFinal = hwSw.last();
    // hardware: the final sync (inside the downtime) scans every leaf PTE of the RAM slot
    assertThat(hwFinal.ptesVisited()).isGreaterThanOrEqualTo(ramPages);
    // hardware → software: it touches only what is dirty
    assertThat(hwSwFinal.ptesVisited())
        .isLessThanOrEqualTo(2 * hwSwFinal.dirtyPages() + 64)
        .isLessThan(ramPages / 8);
  }

  @Test
  void aCorruptedPageMakesTheDigestsDifferAndTheDestinationDoesNotResume() throws Exception {
    long gfn = VmSpec.RAM_BASE_GFN + 1000;
    Run run = migrate("corrupt", "--ram", "32m", "--test-corrupt-gfn", Long.toString(gfn));
    MigrationReport r = run.report();
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(r.outcome()).isEqualTo(MigrationReport.FAILED);
    assertThat(r.match()).isFalse();
    assertThat(r.resumed()).isFalse();
    assertThat(r.sourceDigest()).hasSize(64).isNotEqualTo(r.destDigest());
    assertThat(r.destDigest()).hasSize(64);
    assertThat(r.error()).contains("MISMATCH");
    assertThat(run.process().stdout()).contains("MISMATCH");
    try (Inspect d = new Inspect(destPort)) {
      assertThat(d.progress().getHasVm()).as("the destination discarded the VM").isFalse();
    }
  }

  @Test
  void bandwidthCapIsRespectedWithinTenPercent() throws Exception {
    long cap = 16L << 20;
    Run run =
        migrate(
            "bandwidth-cap", "--ram", "48m", "--prefill", "1", "--workload", "idle", "--dirty-log", "sw",
            "--max-bandwidth", "16m", "--observe-after-ms", "0");
    assertThat(run.exitCode()).as(run.process().diagnostics()).isZero();
    RoundRecord r0 = run.report().roundStats().get(0);
    assertThat(r0.bytesSent()).isGreaterThan(40L << 20); // the prefilled pages really moved
    assertThat(r0.sendMillis()).isGreaterThan(2000); // a run of a few seconds
    assertThat(r0.throughputBytesPerSec()).isBetween(0.9 * cap, 1.1 * cap);
  }

  /**
   * A destination started with --prealloc-ram backs the incoming VM's memory before it listens and
   * gives it to the VM of that layout (the source's default 2m ROM): the migration completes with
   * matching digests on the preallocated memory.
   */
  @Test
  void aDestinationWithPreallocatedRamReceivesIntoIt() throws Exception {
    try (NodeProcess pre =
        NodeProcess.start(LOGS, "dest-prealloc", "512m", NodeProcess.DEST_MAIN, List.of("--port", "0", "--prealloc-ram", "48m"))) {
      int port = pre.awaitPort(60);
      assertThat(pre.logContains("preallocated and mapped 50 MiB of guest memory")).as(pre.diagnostics()).isTrue();
      Path report = LOGS.resolve("prealloc.json");
      Files.deleteIfExists(report);
      NodeProcess src =
          NodeProcess.start(
              LOGS, "prealloc-source", "512m", NodeProcess.SOURCE_MAIN,
              List.of("migrate", "--target", "127.0.0.1:" + port, "--no-progress", "--report", report.toString(),
                  "--ram", "48m", "--prefill", "0.5", "--warmup-ms", "200", "--observe-after-ms", "500"));
      assertThat(src.awaitExit(120)).as(src.diagnostics()).isZero();
      MigrationReport r = new ReportJson().read(report);
      assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
      assertThat(r.match()).isTrue();
      assertThat(pre.logContains("the incoming VM's memory is the one preallocated at start"))
          .as("the VM got the preallocated memory" + pre.diagnostics()).isTrue();
    }
  }
}
