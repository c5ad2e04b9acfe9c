package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration runner against stand-in nodes started as real processes: argument passing, the
 * report read back, failures recorded, RTT through the in-process relay.
 */
class MigrationPointRunnerTest {
  @TempDir Path dir;

  private final MigrationPointRunner runner = new MigrationPointRunner(FakeLaunch.fakes());

  private static final Map<String, String> SMALL = Map.of("sourceJvmOpts", "-Xmx64m", "destJvmOpts", "-Xmx64m", "timeoutSeconds", "60");

  private static Map<String, String> with(Map<String, String> extra) {
    java.util.HashMap<String, String> m = new java.util.HashMap<>(SMALL);
    m.putAll(extra);
    return m;
  }

  @Test
  void aCompletedMigrationBecomesACompleteRow() throws Exception {
    RunPoint p = TestRows.point("e", PointKind.MIGRATION, with(Map.of("dirtyLog", "hw-sw", "linkRate", "100mbit", "dirtyRate", "4")), 0);
    ResultRow row = runner.run(p, dir.resolve("r"));
    assertThat(row.error()).isNull();
    assertThat(row.ok()).isTrue();
    assertThat(Outputs.missing(PointKind.MIGRATION, row.outputs())).isEmpty();
    assertThat(row.outputs()).containsEntry("switchRound", 2).containsEntry("linkRateVia", "max-bandwidth").containsEntry("latencyVia", "none");
    assertThat(row.roundStats()).hasSize(4);
    assertThat(row.timeline()).isNotEmpty();
    assertThat(dir.resolve("r/source.log")).exists();
    assertThat(dir.resolve("r/dest.log")).exists();
    // The fake source echoes its options into the report: the link rate became --max-bandwidth.
    String report = java.nio.file.Files.readString(dir.resolve("r/report.json"));
    assertThat(report).contains("\"--max-bandwidth\":\"12500000\"").contains("\"--dirty-log\":\"hw-sw\"");
  }

  @Test
  void aFailingSourceIsRecordedWithItsOutput() throws Exception {
    RunPoint p = TestRows.point("e", PointKind.MIGRATION, with(Map.of("workload", "fail")), 0);
    ResultRow row = runner.run(p, dir.resolve("f"));
    assertThat(row.ok()).isFalse();
    assertThat(row.error()).contains("source exited with 1").contains("failing on purpose");
  }

  @Test
  void aDigestMismatchIsAFailure() throws Exception {
    RunPoint p = TestRows.point("e", PointKind.MIGRATION, with(Map.of("workload", "mismatch")), 0);
    ResultRow row = runner.run(p, dir.resolve("m"));
    assertThat(row.ok()).isFalse();
    assertThat(row.error()).contains("match false");
  }

  @Test
  void rttGoesThroughTheRelay() throws Exception {
    RunPoint p = TestRows.point("e", PointKind.MIGRATION, with(Map.of("rttMillis", "200")), 0);
    ResultRow row = runner.run(p, dir.resolve("rtt"));
    assertThat(row.ok()).isTrue();
    assertThat(row.outputs()).containsEntry("latencyVia", "relay");
    String report = java.nio.file.Files.readString(dir.resolve("rtt/report.json"));
    double measured = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report).path("parameters").path("measuredRttMillis").asDouble();
    assertThat(measured).isGreaterThanOrEqualTo(200.0);
  }

  @Test
  void lossOnLoopbackFailsWithAHint() throws Exception {
    RunPoint p = TestRows.point("e", PointKind.MIGRATION, with(Map.of("lossPercent", "1")), 0);
    ResultRow row = runner.run(p, dir.resolve("loss"));
    assertThat(row.ok()).isFalse();
    assertThat(row.error()).contains("testbed: netns");
  }
}
