package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanPointRunnerTest {
  @TempDir Path dir;

  @Test
  void resultLinesBecomeScanOutputs() throws Exception {
    ScanPointRunner runner = new ScanPointRunner(FakeLaunch.fakes(), ScanBackends.resultLines(FakeNodes.Scan.class.getName()));
    RunPoint p = TestRows.point("s", PointKind.SCAN, Map.of("ram", "16g", "scanThreads", "2", "sourceJvmOpts", "-Xmx64m"), 0);
    ResultRow row = runner.run(p, dir);
    assertThat(row.error()).isNull();
    assertThat(row.number("syncMillis")).isEqualTo(5.0);
    assertThat(row.number("syncMillisPer64GiB")).isEqualTo(20.0);
    assertThat(row.number("ptesVisited")).isEqualTo(16 * 262144.0);
    assertThat(Outputs.missing(PointKind.SCAN, row.outputs())).isEmpty();
  }

  @Test
  void missingValuesFailThePoint() throws Exception {
    ScanPointRunner runner = new ScanPointRunner(FakeLaunch.fakes(), ScanBackends.resultLines(FakeNodes.Dest.class.getName()));
    RunPoint p = TestRows.point("s", PointKind.SCAN, Map.of("sourceJvmOpts", "-Xmx64m", "timeoutSeconds", "3"), 0);
    ResultRow row = runner.run(p, dir);
    assertThat(row.ok()).isFalse();
  }

  @Test
  void parsesResultLines() {
    assertThat(ScanPointRunner.resultValues(List.of("noise", "RESULT a=1 b=2", "  RESULT b=3 c=x")))
        .containsEntry("a", "1").containsEntry("b", "3").containsEntry("c", "x");
  }
}
