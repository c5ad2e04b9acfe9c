package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The sweep runner end to end with the real nodes: each point a real source-node and dest-node
 * process (started from this test's class path), small guests. Checks that every file is written,
 * every row is complete and every plot is a non-empty image.
 */
class ExperimentEndToEndIT {
  @TempDir Path dir;

  /**
   * No skip guard: the node modules are test-scope dependencies of this module, so both main
   * classes are on the class path; a missing one fails here instead of hiding the test.
   */
  @BeforeAll
  static void nodesPresent() throws ClassNotFoundException {
    System.setProperty("java.awt.headless", "true");
    for (String main : List.of(Launch.SOURCE_MAIN, Launch.DEST_MAIN)) Class.forName(main);
  }

  static final String SPEC =
      """
      name: e2e
      defaults:
        ram: 64m
        rom: 64k
        vcpus: 1
        workload: random
        dirtyRate: 2
        warmupMillis: 200
        switchPolicy: threshold:64
        downtimeLimitMillis: 500
        maxRounds: 8
        streams: 2
        scanThreads: 1
        sourceJvmOpts: -Xmx256m -XX:TieredStopAtLevel=1
        destJvmOpts: -Xmx384m -XX:TieredStopAtLevel=1
        timeoutSeconds: 60
      experiments:
        - name: modes
          grid: {dirtyLog: [hw, sw, hw-sw]}
          plots:
            - {type: xy, name: downtime, x: dirtyRate, y: downtimeMillis, series: dirtyLog}
            - {type: rounds, name: sync-per-round, y: syncMillis, series: dirtyLog}
            - {type: rounds, name: dirty-per-round, y: dirtyPages, series: dirtyLog}
            - {type: timeline, name: timeline, series: dirtyLog}
      """;

  @Test
  void tinySweepProducesEveryFileCompleteRowsAndPlots() throws Exception {
    Path spec = dir.resolve("e2e.yaml");
    Files.writeString(spec, SPEC);
    Path out = dir.resolve("out");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    CommandLine cl = new CommandLine(new ExperimentMain(new PrintStream(console, true, StandardCharsets.UTF_8), false));
    int exit =
        cl.execute(spec.toString(), "--out", out.toString(), "--classpath", System.getProperty("java.class.path"));
    String text = console.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertThat(exit).as(text).isZero();

    for (String f : List.of("results.csv", "results.json", "rounds.csv", "timeline.csv", "table.md"))
      assertThat(out.resolve(f)).isNotEmptyFile();
    ResultStore store = new ResultStore(out);
    assertThat(store.load()).isEqualTo(3);
    for (ResultRow r : store.rows()) {
      assertThat(r.ok()).as(r.key() + ": " + r.error()).isTrue();
      assertThat(Outputs.missing(PointKind.MIGRATION, r.outputs())).as(r.key()).isEmpty();
      assertThat(r.roundStats()).isNotEmpty();
      assertThat(r.timeline()).isNotEmpty();
      assertThat(r.outputs().get("match")).isEqualTo(true);
      assertThat(out.resolve("runs/" + r.key() + "/report.json")).isNotEmptyFile();
    }
    assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(1 + 3);
    for (String p : List.of("downtime", "sync-per-round", "dirty-per-round", "timeline")) {
      assertThat(PlotterTest.colours(out.resolve("plots/" + p + ".png"))).as(p).isGreaterThan(10);
      assertThat(Files.readString(out.resolve("plots/" + p + ".svg"))).contains("<svg");
    }
  }
}
