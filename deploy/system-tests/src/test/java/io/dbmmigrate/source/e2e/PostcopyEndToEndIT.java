package io.dbmmigrate.source.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.PostcopyReport;
import io.dbmmigrate.report.PostcopyTimeline;
import io.dbmmigrate.report.ReportJson;
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
 * Post-copy and hybrid migrations between two JVMs (issue 13): the VM resumes on the destination
 * with pages missing, vCPUs touching them wait for requested pages, the rest is pushed, and the
 * receipt digest proves every page equals the source's image at switchover. Small guests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostcopyEndToEndIT {
  static final Path LOGS = Path.of("target", "e2e-logs");
  private NodeProcess dest;
  private int destPort;

  record Run(int exitCode, MigrationReport report, NodeProcess process) {}

  @BeforeAll
  void startDestination() throws Exception {
    dest = NodeProcess.start(LOGS, "pc-dest", "512m", NodeProcess.DEST_MAIN, List.of("--port", "0", "--accept-replace"));
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
                "migrate", "--target", "127.0.0.1:" + destPort, "--no-progress", "--report", report.toString(),
                "--warmup-ms", "400", "--observe-after-ms", "0", "--vcpus", "2", "--streams", "2", "--ram", "16m"));
    args.addAll(List.of(extra));
    NodeProcess p = NodeProcess.start(LOGS, name, "384m", NodeProcess.SOURCE_MAIN, args);
    int code = p.awaitExit(120);
    assertThat(Files.exists(report)).as("report written" + p.diagnostics()).isTrue();
    return new Run(code, new ReportJson().read(report), p);
  }

  private void assertVerifiedPostcopy(Run run, String mode) throws Exception {
    MigrationReport r = run.report();
    assertThat(run.exitCode()).as("exit code" + run.process().diagnostics()).isZero();
    assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
    assertThat(r.match()).isTrue();
    assertThat(r.sourceDigest()).hasSize(64).isEqualTo(r.destDigest());
    PostcopyReport pc = r.postcopy();
    assertThat(pc).as("post-copy statistics").isNotNull();
    assertThat(pc.mode()).isEqualTo(mode);
    assertThat(pc.receiptMatch()).isTrue();
    assertThat(pc.missingAtSwitchover()).isPositive();
    // every missing page arrived exactly once, pushed or requested (duplicates are dropped)
    assertThat(pc.pagesPushed() + pc.pagesRequested()).isGreaterThanOrEqualTo(pc.missingAtSwitchover());
    assertThat(pc.blocktimeMillisPerVcpu()).hasSize(2);
    assertThat(run.process().stdout()).contains("blocktime").contains("request latency").contains("lost work");
    // Lost work spans the post-copy phase: the destination sampled its guest from resume to its
    // answer and the source merged those samples (a destination that stops sampling fails here).
    assertThat(r.timeline()).as("the destination's post-copy samples in the timeline")
        .anyMatch(x -> x.phase().equals(PostcopyTimeline.PHASE) && x.tMillis() > 0);
    assertThat(r.lostWorkSeconds()).as("lost work of a post-copy run").isNotNull().isFinite();
    assertThat(r.lostWorkNoiseSeconds()).as("its noise bound").isNotNull().isFinite().isNotNegative();
    try (Inspect d = new Inspect(destPort)) {
      DigestResponse now = d.progress();
      assertThat(now.getHasVm()).isTrue();
      assertThat(now.getVmState()).isEqualTo("running");
      assertThat(d.storesDuring(200)).isPositive();
    }
  }

  @Test
  void postcopyResumesAtOnceAndVerifiesEveryPage() throws Exception {
    Run run = migrate("postcopy", "--mode", "postcopy", "--prefill", "0.5");
    assertVerifiedPostcopy(run, "postcopy");
    PostcopyReport pc = run.report().postcopy();
    // pure post-copy: no pre-copy round; all 4096 RAM pages were missing; the guest asked for some
    assertThat(run.report().rounds()).isZero();
    assertThat(pc.missingAtSwitchover()).isGreaterThan(4096); // RAM and ROM
    assertThat(pc.pagesRequested()).as("vCPUs touched missing pages").isPositive();
    assertThat(pc.requestLatencyMaxMillis()).isGreaterThanOrEqualTo(pc.requestLatencyP50Millis());
  }

  @ParameterizedTest(name = "hybrid with dirty log {0}")
  @CsvSource({"sw", "hw", "hw-sw"})
  void hybridSwitchesToPostcopyAfterTheRoundLimit(String log) throws Exception {
    Run run = migrate("hybrid-" + log, "--mode", "hybrid", "--postcopy-after-rounds", "2", "--dirty-log", log);
    assertVerifiedPostcopy(run, "hybrid");
    assertThat(run.report().rounds()).isEqualTo(2);
    assertThat(run.report().postcopy().trigger()).contains("after 2 rounds");
    // the missing set is the dirty pages of the last harvest, far fewer than all of RAM
    assertThat(run.report().postcopy().missingAtSwitchover()).isLessThan(4096);
  }
}
