package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.report.GcReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pauses land in the phase they start in; only the downtime overlap (hashing excluded) counts as in-downtime. */
class GcAccountingTest {
  private static final long MS = 1_000_000L;

  private static MigrationTimeline timeline() {
    MigrationTimeline t = new MigrationTimeline();
    t.start = 0;
    t.roundsStart = 100 * MS;
    t.pause = 1000 * MS;
    t.hash = 1010 * MS;
    t.hashEnd = 1050 * MS;
    t.commitSent = 1051 * MS;
    t.answer = 1100 * MS;
    t.end = 2000 * MS;
    t.destVerify(5 * MS, 45 * MS); // dest hashing 1056..1096
    return t;
  }

  @Test
  void pausesAreSortedIntoPhasesAndOnlyDowntimeOverlapCounts() {
    MigrationTimeline t = timeline();
    GcPauseRecorder src = GcPauseRecorder.manual(() -> 0);
    src.record(new GcPauseRecorder.Pause(50 * MS, 4 * MS, "setup"));
    src.record(new GcPauseRecorder.Pause(500 * MS, 10 * MS, "rounds"));
    src.record(new GcPauseRecorder.Pause(1020 * MS, 8 * MS, "in source hashing"));
    src.record(new GcPauseRecorder.Pause(1002 * MS, 3 * MS, "in downtime"));
    src.record(new GcPauseRecorder.Pause(998 * MS, 4 * MS, "straddles the pause"));
    DestCommitTimings dest =
        new DestCommitTimings(
            true, 1, 2, 40, 1, 0, true,
            List.of(
                new DestCommitTimings.GcPauseOffset(-600 * MS, 20 * MS), // rounds
                new DestCommitTimings.GcPauseOffset(10 * MS, 5 * MS), // in dest hashing
                new DestCommitTimings.GcPauseOffset(46 * MS, 2 * MS))); // downtime (after hashing)
    GcAccounting.Result r = GcAccounting.account(src, t, dest);
    GcReport g = r.report();
    assertThat(g.count("source", "setup")).isEqualTo(1);
    assertThat(g.count("source", "rounds")).isEqualTo(2);
    assertThat(g.count("source", "downtime")).isEqualTo(1);
    assertThat(g.count("source", "commit")).isEqualTo(1);
    assertThat(r.source().count()).isEqualTo(2); // "in downtime" and the straddling one
    assertThat(r.source().millis()).isEqualTo(3 + 2);
    assertThat(g.count("dest", "rounds")).isEqualTo(1);
    assertThat(g.count("dest", "commit")).isEqualTo(1);
    assertThat(r.dest().count()).isEqualTo(1);
    assertThat(r.dest().millis()).isEqualTo(2);
    assertThat(g.sourceShare()).isEqualTo((4 + 10 + 8 + 3 + 4) / 2000.0);
    assertThat(g.destShare()).isEqualTo(27 / 2000.0);
  }

  @Test
  void aDestinationThatDidNotReportHasNoRows() {
    GcAccounting.Result r =
        GcAccounting.account(GcPauseRecorder.manual(() -> 0), timeline(), DestCommitTimings.UNKNOWN);
    assertThat(r.report().destReported()).isFalse();
    assertThat(r.report().phases()).allMatch(p -> p.node().equals("source"));
  }

  @Test
  void liveViewSortsThePausesSoFarIntoThePhasesReachedSoFar() {
    MigrationTimeline t = new MigrationTimeline();
    t.start = 10 * MS;
    GcPauseRecorder src = GcPauseRecorder.manual(() -> 0);
    src.record(new GcPauseRecorder.Pause(5 * MS, 1 * MS, "before the start: not this migration's"));
    src.record(new GcPauseRecorder.Pause(50 * MS, 4 * MS, "setup"));
    // in setup, only setup has pauses
    assertThat(rows(GcAccounting.sourceSoFar(src, t, 60 * MS)))
        .containsExactly("setup=1/4.0", "rounds=0/0.0", "downtime=0/0.0", "commit=0/0.0");
    t.roundsStart = 100 * MS;
    src.record(new GcPauseRecorder.Pause(500 * MS, 10 * MS, "rounds"));
    src.record(new GcPauseRecorder.Pause(600 * MS, 6 * MS, "rounds"));
    assertThat(rows(GcAccounting.sourceSoFar(src, t, 700 * MS)))
        .containsExactly("setup=1/4.0", "rounds=2/16.0", "downtime=0/0.0", "commit=0/0.0");
    t.pause = 1000 * MS;
    src.record(new GcPauseRecorder.Pause(1002 * MS, 3 * MS, "downtime"));
    t.hash = 1010 * MS;
    t.hashEnd = 1050 * MS;
    src.record(new GcPauseRecorder.Pause(1020 * MS, 8 * MS, "source hashing: commit"));
    List<io.dbmmigrate.report.GcPhaseStats> all = GcAccounting.sourceSoFar(src, t, 1060 * MS);
    assertThat(all).allMatch(p -> p.node().equals("source"));
    assertThat(rows(all)).containsExactly("setup=1/4.0", "rounds=2/16.0", "downtime=1/3.0", "commit=1/8.0");
  }

  private static List<String> rows(List<io.dbmmigrate.report.GcPhaseStats> phases) {
    return phases.stream().map(p -> p.phase() + "=" + p.count() + "/" + p.pauseMillis()).toList();
  }
}
