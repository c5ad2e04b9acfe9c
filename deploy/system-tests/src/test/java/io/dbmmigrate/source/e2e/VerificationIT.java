package io.dbmmigrate.source.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.ReportJson;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Verification end to end (issue 14), real processes: the three verify modes of {@code migrate}
 * against a dest-node, a wrong page caught by background verification, and the user's commands
 * {@code ctl digest}, {@code ctl compare} and {@code ctl dump} across nodes, the dump checked with
 * the system's {@code sha256sum}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerificationIT {
  static final Path LOGS = Path.of("target", "e2e-logs", "verify");
  private static final Pattern HEX64 = Pattern.compile("\\b[0-9a-f]{64}\\b");
  private NodeProcess dest;
  private int destPort;

  @BeforeAll
  void startDestination() throws Exception {
    dest = NodeProcess.start(LOGS, "verify-dest", "1g", NodeProcess.DEST_MAIN, List.of("--port", "0", "--allow-test-faults", "--accept-replace"));
    destPort = dest.awaitPort(60);
  }

  @AfterAll
  void stopDestination() throws Exception {
    if (dest != null) dest.close();
  }

  record Run(int exitCode, MigrationReport report, NodeProcess process) {}

  private Run migrate(String name, String... extra) throws Exception {
    Path report = LOGS.resolve(name + ".json");
    Files.createDirectories(LOGS);
    Files.deleteIfExists(report);
    List<String> args =
        new ArrayList<>(
            List.of(
                "migrate", "--target", "127.0.0.1:" + destPort, "--no-progress", "--report", report.toString(),
                "--warmup-ms", "200", "--observe-after-ms", "200", "--vcpus", "2", "--ram", "32m"));
    args.addAll(List.of(extra));
    NodeProcess p = NodeProcess.start(LOGS, name, "512m", NodeProcess.SOURCE_MAIN, args);
    int code = p.awaitExit(180);
    assertThat(Files.exists(report)).as("report written" + p.diagnostics()).isTrue();
    return new Run(code, new ReportJson().read(report), p);
  }

  private record Cli(int exitCode, String stdout, NodeProcess process) {}

  private static Cli ctl(String name, String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of("ctl"));
    a.addAll(List.of(args));
    NodeProcess p = NodeProcess.start(LOGS, name, "256m", NodeProcess.SOURCE_MAIN, a);
    int code = p.awaitExit(180);
    return new Cli(code, p.stdout(), p);
  }

  private static String field(String stdout, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\s+([0-9a-f]{64})").matcher(stdout);
    assertThat(m.find()).as("'%s' in:%n%s", name, stdout).isTrue();
    return m.group(1);
  }

  @Test
  void strictBackgroundAndOffAreEachStatedInTheReport() throws Exception {
    Run strict = migrate("mode-strict", "--verify", "strict");
    assertThat(strict.exitCode()).as(strict.process().diagnostics()).isZero();
    assertThat(strict.report().verifyMode()).isEqualTo("strict");
    assertThat(strict.report().match()).isTrue();
    assertThat(strict.report().sourceDigest()).hasSize(64).isEqualTo(strict.report().destDigest());
    assertThat(strict.report().verifyMillis()).isPositive();

    Run bg = migrate("mode-background", "--verify", "background");
    assertThat(bg.exitCode()).as(bg.process().diagnostics()).isZero();
    MigrationReport r = bg.report();
    assertThat(r.verifyMode()).isEqualTo("background");
    assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
    assertThat(r.resumed()).isTrue();
    assertThat(r.match()).as("the snapshot of the resumed VM matched the source").isTrue();
    assertThat(r.sourceDigest()).hasSize(64).isEqualTo(r.destDigest());
    try (Inspect d = new Inspect(destPort)) {
      assertThat(d.progress().getVmState()).isEqualTo("running");
      assertThat(d.storesDuring(200)).as("the resumed guest runs on, the snapshot closed").isPositive();
    }

    Run off = migrate("mode-off", "--verify", "off");
    assertThat(off.exitCode()).as(off.process().diagnostics()).isZero();
    assertThat(off.report().verifyMode()).isEqualTo("off (unverified)");
    assertThat(off.report().match()).isFalse();
    assertThat(off.report().resumed()).isTrue();
    assertThat(off.report().sourceDigest()).isEmpty();
  }

  @Test
  void backgroundVerificationCatchesAWrongPageLoudlyAndFailsTheRun() throws Exception {
    long gfn = VmSpec.RAM_BASE_GFN + 3000; // RAM chunk 5 (pages 2560..3071 of the slot)
    Run run = migrate("background-corrupt", "--verify", "background", "--test-corrupt-gfn", Long.toString(gfn));
    MigrationReport r = run.report();
    assertThat(run.exitCode()).as(run.process().diagnostics()).isEqualTo(1);
    assertThat(r.outcome()).isEqualTo(MigrationReport.FAILED);
    assertThat(r.verifyMode()).isEqualTo("background");
    assertThat(r.match()).isFalse();
    assertThat(r.resumed()).as("background: the VM was resumed before the verdict").isTrue();
    long chunkStart = (1L << 30) + 5 * (2L << 20);
    assertThat(r.error()).contains("BACKGROUND VERIFICATION FAILED").contains(String.format("0x%x+0x200000", chunkStart));
    assertThat(run.process().stdout()).contains("BACKGROUND VERIFICATION FAILED");
  }

  @Test
  void digestCompareAndDumpAcrossNodesCheckedWithTheSystemsSha256sum() throws Exception {
    try (NodeProcess a =
            NodeProcess.start(LOGS, "verify-serve-a", "512m", NodeProcess.SOURCE_MAIN,
                List.of("serve", "--port", "0", "--ram", "32m", "--workload", "idle", "--vcpus", "1"));
        NodeProcess b =
            NodeProcess.start(LOGS, "verify-serve-b", "512m", NodeProcess.SOURCE_MAIN,
                List.of("serve", "--port", "0", "--ram", "32m", "--workload", "random", "--vcpus", "1"))) {
      String na = "127.0.0.1:" + a.awaitPort(60);
      String nb = "127.0.0.1:" + b.awaitPort(60);
      String nd = "127.0.0.1:" + destPort;
      // A's idle VM goes to the destination, verified and kept paused there: the same memory twice.
      Cli start = ctl("verify-ctl-start", "start", "--control", na, "--target", nd, "--verify-only", "--warmup-ms", "0", "--observe-after-ms", "0");
      assertThat(start.exitCode()).as(start.process().diagnostics()).isZero();

      Cli da = ctl("verify-ctl-digest-a", "digest", "--node", na);
      Cli dd = ctl("verify-ctl-digest-dest", "digest", "--node", nd, "--flat");
      assertThat(da.exitCode()).as(da.process().diagnostics()).isZero();
      assertThat(dd.exitCode()).as(dd.process().diagnostics()).isZero();
      assertThat(field(da.stdout(), "root")).isEqualTo(field(dd.stdout(), "root"));
      assertThat(dd.stdout()).contains("chunks   17 x 2 MiB").containsPattern("time\\s+\\d+ ms");
      assertThat(da.stdout()).contains("running (snapshot)");
      assertThat(dd.stdout()).contains("paused (paused)");
      String flat = field(dd.stdout(), "flat");

      Cli same = ctl("verify-ctl-compare-same", "compare", na, nd);
      assertThat(same.exitCode()).as(same.process().diagnostics()).isZero();
      assertThat(same.stdout()).startsWith("same");
      Cli differ = ctl("verify-ctl-compare-differ", "compare", na, nb);
      assertThat(differ.exitCode()).as(differ.process().diagnostics()).isEqualTo(1);
      assertThat(differ.stdout()).contains("DIFFERENT").containsPattern("chunk \\d+\\s+gpa 0x4[0-9a-f]{7}-0x");

      // The dump of the paused VM, checked by the system's sha256sum, equals the node's flat digest.
      Path dump = LOGS.resolve("dest.raw");
      Cli dumpDest = ctl("verify-ctl-dump-dest", "dump", "--node", nd, "--out", dump.toString());
      assertThat(dumpDest.exitCode()).as(dumpDest.process().diagnostics()).isZero();
      assertThat(Files.size(dump)).isEqualTo((2L << 20) + (32L << 20)); // the default 2 MiB ROM, then RAM
      assertThat(systemSha256sum(dump)).isEqualTo(flat).isEqualTo(field(dumpDest.stdout(), "flat"));

      // A running VM (B writes all the time) dumps through the snapshot: one consistent image whose
      // tree, recomputed here from the file, is the root the node sent after the last byte.
      Path running = LOGS.resolve("running.raw");
      Cli dumpRunning = ctl("verify-ctl-dump-running", "dump", "--node", nb, "--out", running.toString());
      assertThat(dumpRunning.exitCode()).as(dumpRunning.process().diagnostics()).isZero();
      assertThat(dumpRunning.stdout()).contains("snapshot");
      assertThat(systemSha256sum(running)).isEqualTo(field(dumpRunning.stdout(), "flat"));
      assertThat(treeRootOf(running)).isEqualTo(field(dumpRunning.stdout(), "root"));
    }
  }

  /**
   * The tree root of a raw image whose slots are whole 2 MiB chunks (the test VMs' 2 MiB ROM and
   * 32 MiB RAM): SHA-256 over the SHA-256 of every 2 MiB piece.
   */
  private static String treeRootOf(Path image) throws Exception {
    MessageDigest root = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(image)) {
      byte[] chunk;
      while ((chunk = in.readNBytes(2 << 20)).length > 0) root.update(MessageDigest.getInstance("SHA-256").digest(chunk));
    }
    return HexFormat.of().formatHex(root.digest());
  }

  /** sha256sum FILE by the system's binary, not by this project's code. */
  private static String systemSha256sum(Path file) throws Exception {
    Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Matcher m = HEX64.matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group();
  }
}
