package io.dbmmigrate.source.migration;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.report.GcPhaseStats;
import io.dbmmigrate.report.GcReport;
import java.util.ArrayList;
import java.util.List;

/**
 * Collector pauses of both nodes sorted into the migration's phases (issue 10 item 5): each pause
 * belongs to the phase it started in ({@link MigrationTimeline#phaseAt}); the part of a pause that
 * overlaps the downtime is reported with the downtime's parts. The destination's pauses arrive as
 * offsets from its commit receipt and are placed at {@code commitSent + offset} on the source's
 * clock, which neglects the commit request's one-way delay (well under a millisecond on one host;
 * the JVM's own millisecond resolution is the larger error). Stateless.
 */
final class GcAccounting {
  static final String[] PHASES = {"setup", "rounds", "downtime", "commit"};

  /** Pauses in the downtime of one node: count and overlapping milliseconds. */
  record InDowntime(int count, double millis) {}

  /** Result: the report block and each node's share of the downtime. */
  record Result(GcReport report, InDowntime source, InDowntime dest) {}

  private GcAccounting() {}

  static Result account(GcPauseRecorder recorder, MigrationTimeline t, DestCommitTimings dest) {
    List<GcPhaseStats> rows = new ArrayList<>();
    long span = Math.max(1, t.end - t.start);
    List<GcPauseRecorder.Pause> src = recorder.between(t.start, t.end);
    InDowntime srcDown = addRows(rows, "source", src, t);
    double srcShare = total(src) / (double) span;
    InDowntime destDown = new InDowntime(0, 0);
    double destShare = 0;
    if (dest.gcReported() && t.commitSent != 0) {
      List<GcPauseRecorder.Pause> d = new ArrayList<>();
      for (DestCommitTimings.GcPauseOffset p : dest.gcPauses())
        d.add(new GcPauseRecorder.Pause(t.commitSent + p.startOffsetNanos(), p.durationNanos(), "dest"));
      destDown = addRows(rows, "dest", d, t);
      destShare = total(d) / (double) span;
    }
    return new Result(new GcReport(rows, srcShare, destShare, dest.gcReported()), srcDown, destDown);
  }

  /**
   * The source's pauses so far, one row per phase (issue 15 item 5: GC per phase, live). Any
   * thread, once {@code t.start} is set; see {@link MigrationTimeline} for what a reader racing a
   * phase boundary sees.
   */
  static List<GcPhaseStats> sourceSoFar(GcPauseRecorder recorder, MigrationTimeline t, long nowNanos) {
    List<GcPhaseStats> rows = new ArrayList<>(PHASES.length);
    addRows(rows, "source", recorder.between(t.start, nowNanos), t);
    return rows;
  }

  private static InDowntime addRows(
      List<GcPhaseStats> rows, String node, List<GcPauseRecorder.Pause> pauses, MigrationTimeline t) {
    int[] count = new int[PHASES.length];
    long[] nanos = new long[PHASES.length];
    int downCount = 0;
    long downNanos = 0;
    for (GcPauseRecorder.Pause p : pauses) {
      int i = indexOf(t.phaseAt(p.startNanos()));
      count[i]++;
      nanos[i] += p.durationNanos();
      long o = t.downtimeOverlap(p.startNanos(), p.endNanos());
      if (o > 0 || "downtime".equals(PHASES[i])) {
        downCount++;
        downNanos += o;
      }
    }
    for (int i = 0; i < PHASES.length; i++) rows.add(new GcPhaseStats(node, PHASES[i], count[i], nanos[i] / 1e6));
    return new InDowntime(downCount, downNanos / 1e6);
  }

  private static long total(List<GcPauseRecorder.Pause> pauses) {
    long n = 0;
    for (GcPauseRecorder.Pause p : pauses) n += p.durationNanos();
    return n;
  }

  private static int indexOf(String phase) {
    for (int i = 0; i < PHASES.length; i++) if (PHASES[i].equals(phase)) return i;
    throw new IllegalArgumentException(phase);
  }
}
