package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class CompilerQuietTest {
  private static final long WINDOW = TimeUnit.MILLISECONDS.toNanos(CompilerQuiet.WINDOW_MILLIS);

  /** Reads the given values one per call, then the last one forever. */
  private static LongSupplier readings(long... values) {
    final int[] i = {0};
    return () -> values[Math.min(i[0]++, values.length - 1)];
  }

  @Test
  void quietNodesEndTheWaitAfterOneWindow() throws Exception {
    FakeClock clock = new FakeClock();
    CompilerQuiet.Outcome o =
        CompilerQuiet.await(readings(1000, 1005), readings(2000, 2000), clock, 10 * WINDOW);
    assertThat(o.quiet()).isTrue();
    assertThat(o.waitedNanos()).isEqualTo(WINDOW);
  }

  @Test
  void waitsUntilTheBusierNodeGoesQuiet() throws Exception {
    FakeClock clock = new FakeClock();
    // The source is quiet from the start; the destination finishes compilations for three windows.
    CompilerQuiet.Outcome o =
        CompilerQuiet.await(readings(500), readings(0, 300, 420, 431, 431), clock, 10 * WINDOW);
    assertThat(o.quiet()).isTrue();
    assertThat(o.waitedNanos()).isEqualTo(4 * WINDOW);
  }

  @Test
  void aGrowthOfMoreThanTheThresholdIsBusy() throws Exception {
    FakeClock clock = new FakeClock();
    long busy = CompilerQuiet.BUSY_MILLIS + 1;
    CompilerQuiet.Outcome o =
        CompilerQuiet.await(readings(0, busy, busy + CompilerQuiet.BUSY_MILLIS), readings(-1), clock, 10 * WINDOW);
    assertThat(o.waitedNanos()).as("one busy window, then a quiet one").isEqualTo(2 * WINDOW);
  }

  @Test
  void stopsAtTheLimitWhenTheCompilersNeverGoQuiet() throws Exception {
    FakeClock clock = new FakeClock();
    long[] busy = new long[100];
    for (int i = 0; i < busy.length; i++) busy[i] = 100L * i;
    CompilerQuiet.Outcome o = CompilerQuiet.await(readings(busy), readings(0), clock, 3 * WINDOW + WINDOW / 2);
    assertThat(o.quiet()).isFalse();
    assertThat(o.waitedNanos()).as("whole windows only, within the limit").isEqualTo(3 * WINDOW);
  }

  @Test
  void noTimeMeansNoWaitAndUnknownClocksCountAsQuiet() throws Exception {
    FakeClock clock = new FakeClock();
    assertThat(CompilerQuiet.await(readings(0, 999), readings(0), clock, 0).waitedNanos()).isZero();
    CompilerQuiet.Outcome o = CompilerQuiet.await(readings(-1), readings(-1), clock, 10 * WINDOW);
    assertThat(o.quiet()).isTrue();
    assertThat(o.waitedNanos()).isEqualTo(WINDOW);
  }
}
