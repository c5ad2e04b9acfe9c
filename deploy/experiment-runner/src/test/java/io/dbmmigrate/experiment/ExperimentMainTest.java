package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line over stand-in node processes: files, exit codes, resume. */
class ExperimentMainTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  static final String SPEC =
      """
      name: tiny
      defaults: {sourceJvmOpts: -Xmx64m, destJvmOpts: -Xmx64m, timeoutSeconds: 60}
      experiments:
        - name: modes
          grid: {dirtyLog: [hw, hw-sw], workload: [random, %s]}
          plots:
            - {type: xy, name: downtime, x: dirtyRate, y: downtimeMillis, series: dirtyLog}
            - {type: rounds, name: rounds, y: syncMillis, series: dirtyLog}
            - {type: timeline, name: timeline, series: dirtyLog}
        - name: scan
          kind: scan
          grid: {scanThreads: [1, 2]}
          plots:
            - {type: xy, name: scan, x: scanThreads, y: syncMillis}
      """;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cl = new CommandLine(new ExperimentMain(new PrintStream(out, true, StandardCharsets.UTF_8), false));
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setOverwrittenOptionsAllowed(true);
    int exit = cl.execute(args);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private String[] args(Path spec, String... extra) {
    List<String> a = new ArrayList<>(List.of(
        spec.toString(), "--out", dir.resolve("out").toString(),
        "--classpath", System.getProperty("java.class.path"),
        "--source-main", FakeNodes.Source.class.getName(), "--dest-main", FakeNodes.Dest.class.getName(),
        "--scan-main", FakeNodes.Scan.class.getName()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  @Test
  void aSweepWritesEveryFileAndResumes() throws Exception {
    Path spec = dir.resolve("tiny.yaml");
    Files.writeString(spec, SPEC.formatted("sequential"));
    Run first = run(args(spec));
    assertThat(first.exit()).as(first.out() + first.err()).isZero();
    Path out = dir.resolve("out");
    for (String f : List.of("results.csv", "results.json", "rounds.csv", "timeline.csv", "table.md"))
      assertThat(out.resolve(f)).isNotEmptyFile();
    for (String p : List.of("downtime", "rounds", "timeline", "scan")) {
      assertThat(out.resolve("plots/" + p + ".png")).isNotEmptyFile();
      assertThat(out.resolve("plots/" + p + ".svg")).isNotEmptyFile();
    }
    assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(1 + 6);
    assertThat(first.out()).contains("6 runs, 0 already done").contains("| dirtyLog | workload | runs |");

    Run second = run(args(spec));
    assertThat(second.exit()).isZero();
    assertThat(second.out()).contains("6 runs, 6 already done, 0 to run");
  }

  @Test
  void aFailedPointExitsOneAfterTheRest() throws Exception {
    Path spec = dir.resolve("tiny.yaml");
    Files.writeString(spec, SPEC.formatted("fail"));
    Run r = run(args(spec));
    assertThat(r.exit()).isEqualTo(1);
    ResultStore store = new ResultStore(dir.resolve("out"));
    store.load();
    assertThat(store.rows()).hasSize(6);
    assertThat(store.rows().stream().filter(ResultRow::ok).count()).isEqualTo(4);
    assertThat(r.out()).contains("FAILED: source exited with 1");
  }

  @Test
  void aBadSpecIsAUsageError() throws Exception {
    Path spec = dir.resolve("bad.yaml");
    Files.writeString(spec, "name: bad\nexperiments:\n  - {name: a, grid: {dirtyrate: [1]}}\n");
    Run r = run(args(spec));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown parameter 'dirtyrate'");
  }

  @Test
  void dryRunListsRunsWithoutRunningThem() throws Exception {
    Path spec = dir.resolve("tiny.yaml");
    Files.writeString(spec, SPEC.formatted("sequential"));
    Run r = run(args(spec, "--dry-run"));
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("6 runs").contains("todo");
    assertThat(dir.resolve("out/results.json")).doesNotExist();
  }
}
