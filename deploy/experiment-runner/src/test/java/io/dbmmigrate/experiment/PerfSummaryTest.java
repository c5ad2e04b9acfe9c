package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The perf columns from known per-iteration nanoseconds, and their way through the RESULT lines. */
class PerfSummaryTest {
  private static final long[] DIRTY = {4_000_000, 1_000_000, 1_000_000}; // first 4 ms, mean 2 ms
  private static final long[] GET = {300_000, 600_000, 900_000}; // first 0.3 ms, mean 0.6 ms
  private static final long[] CLEAR = {2_000_000, 0, 1_000_000}; // first 2 ms, mean 1 ms
  private static final long[] HARVESTED = {10, 20, 30};

  @Test
  void firstIterationAndMeanInMilliseconds() {
    PerfSummary s = PerfSummary.of(1_500_000_000L, 7_000_000L, DIRTY, GET, CLEAR, HARVESTED, 3, 99);
    assertThat(s.populateMillis()).isEqualTo(1500.0);
    assertThat(s.enableMillis()).isEqualTo(7.0);
    assertThat(s.dirtyMemoryMillisFirst()).isEqualTo(4.0);
    assertThat(s.dirtyMemoryMillisMean()).isEqualTo(2.0);
    assertThat(s.getLogMillisFirst()).isEqualTo(0.3);
    assertThat(s.getLogMillisMean()).isCloseTo(0.6, within(1e-12));
    assertThat(s.clearLogMillisFirst()).isEqualTo(2.0);
    assertThat(s.clearLogMillisMean()).isEqualTo(1.0);
    assertThat(s.harvestedPagesMean()).isEqualTo(20.0);
    assertThat(s.lostPages()).isEqualTo(3);
    assertThat(s.deviceWrites()).isEqualTo(99);
  }

  @Test
  void aModeWithOneHarvestHasNoClearColumns() {
    PerfSummary s = PerfSummary.of(1, 1, DIRTY, GET, null, HARVESTED, 0, 0);
    assertThat(s.clearLogMillisMean()).isNull();
    Map<String, Object> o = new PerfBackend().parse(null, s.resultLines());
    assertThat(o.get("clearLogMillisMean")).isNull();
    assertThat(Outputs.missing(PointKind.PERF, o)).containsExactly("effectiveSeed"); // the runner adds it
  }

  @Test
  void theResultLinesCarryEveryColumnToTheRow() {
    PerfSummary s = PerfSummary.of(1_500_000_000L, 7_000_000L, DIRTY, GET, CLEAR, HARVESTED, 3, 99);
    Map<String, Object> o = new PerfBackend().parse(null, s.resultLines());
    assertThat(Outputs.missing(PointKind.PERF, o)).containsExactly("effectiveSeed"); // the runner adds it
    assertThat(o)
        .containsEntry("populateMillis", 1500.0)
        .containsEntry("enableMillis", 7.0)
        .containsEntry("dirtyMemoryMillisFirst", 4.0)
        .containsEntry("dirtyMemoryMillisMean", 2.0)
        .containsEntry("getLogMillisFirst", 0.3)
        .containsEntry("getLogMillisMean", 0.6)
        .containsEntry("clearLogMillisFirst", 2.0)
        .containsEntry("clearLogMillisMean", 1.0)
        .containsEntry("harvestedPagesMean", 20.0)
        .containsEntry("lostPages", 3L)
        .containsEntry("deviceWrites", 99L);
  }

  @Test
  void oneValuePerIteration() {
    assertThatThrownBy(() -> PerfSummary.of(1, 1, DIRTY, new long[] {1}, CLEAR, HARVESTED, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
