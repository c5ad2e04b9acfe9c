package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resume, failure isolation and plotting of the sweep runner, with an in-memory point runner. */
class SweepRunnerTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  /** Fails every point with dirtyRate 16 while {@code failing}; records what it ran. */
  static final class FakeRunner implements PointRunner {
    final List<String> ran = new ArrayList<>();
    boolean failing = true;

    @Override
    public ResultRow run(RunPoint p, Path runDir) {
      ran.add(p.key());
      if (failing && p.get(Param.DIRTY_RATE).equals("16"))
        return ResultRow.failed(p, "now", 1, "injected failure", Map.of("effectiveSeed", p.effectiveSeed()));
      return TestRows.migration(p.experiment(), p.parameters(), p.repetition(), p.getDouble(Param.DIRTY_RATE));
    }
  }

  private static SweepSpec spec(String rates) throws Exception {
    return new SpecLoader()
        .parse(
            """
            name: t
            experiments:
              - name: modes
                grid: {dirtyRate: [%s], dirtyLog: [hw, hw-sw]}
                plots:
                  - {type: xy, name: downtime, x: dirtyRate, y: downtimeMillis, series: dirtyLog}
                  - {type: rounds, name: rounds, y: dirtyPages, series: dirtyLog}
                  - {type: timeline, name: timeline, series: dirtyLog, where: {dirtyRate: 4}}
            """
                .formatted(rates),
            false);
  }

  @Test
  void aFailedPointIsRecordedAndTheSweepContinues() throws Exception {
    FakeRunner fake = new FakeRunner();
    ResultStore store = new ResultStore(dir);
    SweepRunner.Summary s = new SweepRunner(Map.of(PointKind.MIGRATION, fake), store, Progress.NONE, true).run(spec("4, 16, 8"));
    assertThat(s.total()).isEqualTo(6);
    assertThat(s.ok()).isEqualTo(4);
    assertThat(s.failed()).isEqualTo(2);
    assertThat(fake.ran).hasSize(6);
    assertThat(store.rows()).hasSize(6);
    assertThat(s.plots()).hasSize(3);
    for (Plotter.Written w : s.plots()) assertThat(w.png()).exists();
  }

  @Test
  void reRunningSkipsDoneRunsAndRetriesFailedOnes() throws Exception {
    FakeRunner first = new FakeRunner();
    new SweepRunner(Map.of(PointKind.MIGRATION, first), new ResultStore(dir), Progress.NONE, true).run(spec("4, 16"));

    FakeRunner second = new FakeRunner();
    second.failing = false;
    SweepRunner.Summary s =
        new SweepRunner(Map.of(PointKind.MIGRATION, second), new ResultStore(dir), Progress.NONE, true).run(spec("4, 16"));
    assertThat(s.skipped()).isEqualTo(2);
    assertThat(second.ran).hasSize(2); // the two dirtyRate=16 points that had failed
    ResultStore store = new ResultStore(dir);
    store.load();
    assertThat(store.rows()).hasSize(4).allMatch(ResultRow::ok);

    FakeRunner third = new FakeRunner();
    new SweepRunner(Map.of(PointKind.MIGRATION, third), new ResultStore(dir), Progress.NONE, true).run(spec("4, 16"));
    assertThat(third.ran).isEmpty();
  }

  @Test
  void failedRunsStayFailedWithoutRetry() throws Exception {
    new SweepRunner(Map.of(PointKind.MIGRATION, new FakeRunner()), new ResultStore(dir), Progress.NONE, true).run(spec("16"));
    FakeRunner again = new FakeRunner();
    new SweepRunner(Map.of(PointKind.MIGRATION, again), new ResultStore(dir), Progress.NONE, false).run(spec("16"));
    assertThat(again.ran).isEmpty();
  }

  @Test
  void aWiderGridRunsOnlyTheNewPoints() throws Exception {
    FakeRunner first = new FakeRunner();
    first.failing = false;
    new SweepRunner(Map.of(PointKind.MIGRATION, first), new ResultStore(dir), Progress.NONE, true).run(spec("4"));
    FakeRunner second = new FakeRunner();
    second.failing = false;
    SweepRunner.Summary s =
        new SweepRunner(Map.of(PointKind.MIGRATION, second), new ResultStore(dir), Progress.NONE, true).run(spec("4, 8"));
    assertThat(s.skipped()).isEqualTo(2);
    assertThat(second.ran).hasSize(2);
  }
}
