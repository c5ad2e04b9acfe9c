package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The (a) table (dirty_log_perf_test per mode) from known rows: each column is the median of its own
 * output over the repetitions, in the header's order, and a mode without a separate clear shows
 * none rather than 0.
 */
class PerfTableTest {
  private static SweepSpec sweep() {
    LinkedHashMap<String, List<String>> grid = new LinkedHashMap<>();
    grid.put("dirtyLog", List.of("sw", "ring"));
    ExperimentSpec e =
        new ExperimentSpec("perf-test", PointKind.PERF, Map.of("vcpuMemory", "32m", "iterations", "3"), grid, 3, List.of());
    return new SweepSpec("t", "t", true, Map.of(), List.of(e));
  }

  private static List<String> cells(String table, String firstCell) {
    for (String line : table.split("\n"))
      if (line.startsWith("| " + firstCell + " |"))
        return List.of(line.substring(2, line.length() - 2).split(" \\| "));
    throw new AssertionError("no row " + firstCell + " in\n" + table);
  }

  @Test
  void eachColumnIsTheMedianOfItsOwnOutput() {
    List<ResultRow> rows =
        List.of(
            TestRows.perf("perf-test", Map.of("dirtyLog", "sw", "vcpuMemory", "32m", "iterations", "3"), 0, 60, 1, 3.0, 0),
            TestRows.perf("perf-test", Map.of("dirtyLog", "sw", "vcpuMemory", "32m", "iterations", "3"), 1, 70, 2, 5.0, 0),
            TestRows.perf("perf-test", Map.of("dirtyLog", "sw", "vcpuMemory", "32m", "iterations", "3"), 2, 80, 9, 4.0, 0),
            TestRows.perf("perf-test", Map.of("dirtyLog", "ring", "vcpuMemory", "32m", "iterations", "3"), 0, 200, 30, null, 7));
    String table = ResultsTable.render(sweep(), rows);

    List<String> header = cells(table, "dirtyLog");
    assertThat(header)
        .containsExactly("dirtyLog", "runs", "populate (ms)", "enable (ms)", "dirty memory first (ms)",
            "dirty memory mean (ms)", "get log first (ms)", "get log mean (ms)", "clear log first (ms)",
            "clear log mean (ms)", "harvested pages mean", "lost pages", "device writes");
    assertThat(table).contains("vcpuMemory=32m").contains("iterations=3");

    List<String> sw = cells(table, "sw");
    int col = header.indexOf("dirty memory mean (ms)");
    assertThat(sw.get(col)).startsWith("70 ["); // median of 60, 70, 80 and its spread
    assertThat(sw.get(header.indexOf("dirty memory first (ms)"))).startsWith("140 [");
    assertThat(sw.get(header.indexOf("get log mean (ms)"))).startsWith("2 [1.20–7.60]");
    assertThat(sw.get(header.indexOf("clear log mean (ms)"))).startsWith("4 [3.20–4.80]");
    assertThat(sw.get(header.indexOf("populate (ms)"))).startsWith("1001 [");
    assertThat(sw.get(header.indexOf("runs"))).isEqualTo("3/3");

    List<String> ring = cells(table, "ring");
    assertThat(ring.get(col)).isEqualTo("200");
    assertThat(ring.get(header.indexOf("get log mean (ms)"))).isEqualTo("30");
    assertThat(ring.get(header.indexOf("clear log mean (ms)"))).isEqualTo("–");
    assertThat(ring.get(header.indexOf("lost pages"))).isEqualTo("7");
  }
}
