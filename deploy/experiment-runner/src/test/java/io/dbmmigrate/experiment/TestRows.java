package io.dbmmigrate.experiment;

import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.LatencyPercentiles;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Synthetic result rows for plot, table and store tests. */
final class TestRows {
  private TestRows() {}

  static RunPoint point(String experiment, PointKind kind, Map<String, String> overrides, int rep) {
    TreeMap<String, String> p = new TreeMap<>();
    for (Param param : Param.values()) if (param.appliesTo(kind)) p.put(param.key(), param.defaultValue());
    p.putAll(overrides);
    return new RunPoint(experiment, kind, p, rep, PointKey.of(experiment, kind, p, rep));
  }

  /** A successful migration row with every output, 4 rounds and a timeline with a switch. */
  static ResultRow migration(String experiment, Map<String, String> overrides, int rep, double downtimeMillis) {
    RunPoint p = point(experiment, PointKind.MIGRATION, overrides, rep);
    String mode = p.get(Param.DIRTY_LOG);
    boolean hwsw = mode.equals("hw-sw");
    List<RoundRecord> rounds = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      String m = r == 0 ? "full" : r == 3 ? "final" : mode.equals("sw") || (hwsw && r >= 2) ? "sw" : "hw";
      rounds.add(new RoundRecord(r, m, 1000L / (r + 1), m.equals("hw") ? 4.0 + rep : 0.5, 2, 262144L,
          1000L, 10L, 4096000L, 10.0, 100.0, 4e8, 100L, 5.0, 1e6, 0));
    }
    List<TimelineSample> timeline = new ArrayList<>();
    String[] phases = {"full", "hw", hwsw ? "sw" : (mode.equals("sw") ? "sw" : "hw"), "paused", "after"};
    for (int i = 0; i < phases.length; i++)
      timeline.add(new TimelineSample(i * 250.0, phases[i].equals("paused") ? 0.0 : 1e6 - i * 1e4, phases[i]));
    MigrationReport report =
        MigrationReport.builder()
            .migrationId("m" + rep).outcome("COMPLETED").match(true).resumed(true).sourceDigest("ab")
            .destDigest("ab").dirtyLogMode(mode).switchPolicy(p.get(Param.SWITCH_POLICY)).rounds(4)
            .switchRound(hwsw ? 2 : -1).totalMillis(1000.0 + downtimeMillis).setupMillis(20.0)
            .downtimeMillis(downtimeMillis).verifyMillis(30.0).bytesSent(1L << 30).pagesSent(262144L)
            .zeroPages(1000L).guestWritesPerSecBefore(1e6).guestWritesPerSecDuring(9e5)
            .guestWritesPerSecAfter(1e6).parameters(Map.of()).roundStats(rounds).timeline(timeline)
            .downtimeParts(
                new DowntimeParts(0.1, 0.5, 100, downtimeMillis * 0.6, 40, 163_840, 0.05, 0.3, 0.2, 0.3, 0.4,
                    downtimeMillis * 0.4 - 1.85, 1.0, 0, 0, 0, 0))
            .predictedDowntimeMillis(downtimeMillis * 1.1)
            .lostWorkSeconds(0.5)
            .lostWorkNoiseSeconds(0.1)
            .batchSendLatency(new LatencyPercentiles(100, 0.2 + rep, 3.0 + rep, 5.0 + rep))
            .syncTime(new LatencyPercentiles(4, 0.5, 4.0 + rep, 4.0 + rep))
            .build();
    Map<String, Object> outputs = RowBuilder.migrationOutputs(p, report, RowBuilder.LinkVia.NONE);
    return new ResultRow(p.key(), experiment, "migration", rep, ResultRow.OK, null, "2026-01-01T00:00:00Z", 1234,
        p.parameters(), outputs, rounds, timeline);
  }

  static ResultRow scan(String experiment, Map<String, String> overrides, int rep, double syncMillis) {
    RunPoint p = point(experiment, PointKind.SCAN, overrides, rep);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("effectiveSeed", p.effectiveSeed());
    o.put("syncMillis", syncMillis);
    o.put("syncMillisMin", syncMillis * 0.9);
    o.put("syncMillisMax", syncMillis * 1.1);
    o.put("syncMillisPer64GiB", syncMillis * 64 * (1L << 30) / p.getBytes(Param.RAM));
    o.put("ptesVisited", 262144L);
    o.put("dirtyPages", 2621L);
    return new ResultRow(p.key(), experiment, "scan", rep, ResultRow.OK, null, "2026-01-01T00:00:00Z", 500,
        p.parameters(), o, null, null);
  }

  /** A successful perf row: the outputs of {@link PerfSummary} (clear absent when {@code clearMillis} is null). */
  static ResultRow perf(String experiment, Map<String, String> overrides, int rep, double dirtyMemoryMillis,
      double getLogMillis, Double clearMillis, long lostPages) {
    RunPoint p = point(experiment, PointKind.PERF, overrides, rep);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("effectiveSeed", p.effectiveSeed());
    o.put("populateMillis", 1000.0 + rep);
    o.put("enableMillis", 10.0 + rep);
    o.put("dirtyMemoryMillisFirst", 2 * dirtyMemoryMillis);
    o.put("dirtyMemoryMillisMean", dirtyMemoryMillis);
    o.put("getLogMillisFirst", 2 * getLogMillis);
    o.put("getLogMillisMean", getLogMillis);
    o.put("clearLogMillisFirst", clearMillis == null ? null : 2 * clearMillis);
    o.put("clearLogMillisMean", clearMillis);
    o.put("harvestedPagesMean", 32768.0);
    o.put("lostPages", lostPages);
    o.put("deviceWrites", 0L);
    return new ResultRow(p.key(), experiment, "perf", rep, ResultRow.OK, null, "2026-01-01T00:00:00Z", 900,
        p.parameters(), o, null, null);
  }

  static ResultRow failed(String experiment, Map<String, String> overrides, int rep) {
    RunPoint p = point(experiment, PointKind.MIGRATION, overrides, rep);
    return ResultRow.failed(p, "2026-01-01T00:00:00Z", 10, "boom, \"quoted\"\nsecond line", Map.of("effectiveSeed", 1L));
  }
}
