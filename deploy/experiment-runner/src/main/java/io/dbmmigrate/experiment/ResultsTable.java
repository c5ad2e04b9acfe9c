package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A plain-text (Markdown) table of a sweep's rows: the parameters that vary within each
 * experiment and the main outputs over the repetitions of each condition: the median, and with two
 * or more repetitions the 10th–90th percentile range in brackets ({@link Spread}). Printed at the
 * end of a sweep and pasted into the README.
 */
final class ResultsTable {
  private static final List<String> MIGRATION_COLUMNS =
      List.of("downtimeMillis", "predictionError", "dtUnaccountedMillis", "gcInDowntimeMillis", "totalMillis",
          "rounds", "switchRound", "lastSyncMillis", "hwSyncMillisMean", "guestSlowdownPercent", "lostWorkSeconds");
  /** Added to a migration table when any of its runs went through post-copy (issue 13). */
  private static final List<String> POSTCOPY_COLUMNS =
      List.of("postcopy.blocktimeMillisTotal", "postcopy.requestLatencyP50Millis", "postcopy.requestLatencyP99Millis",
          "postcopy.pagesRequested", "postcopy.lastPageMillis");
  private static final List<String> SCAN_COLUMNS =
      List.of("syncMillis", "syncMillisMin", "syncMillisPer64GiB", "swSyncMillis", "ptesVisited", "dirtyPages");

  /** The dirty_log_perf_test table: populate, enable, per iteration dirty memory, get and clear. */
  static final List<String> PERF_COLUMNS =
      List.of("populateMillis", "enableMillis", "dirtyMemoryMillisFirst", "dirtyMemoryMillisMean", "getLogMillisFirst",
          "getLogMillisMean", "clearLogMillisFirst", "clearLogMillisMean", "harvestedPagesMean", "lostPages", "deviceWrites");

  private ResultsTable() {}

  static String render(SweepSpec sweep, List<ResultRow> rows) {
    StringBuilder out = new StringBuilder();
    for (ExperimentSpec e : sweep.experiments()) {
      List<ResultRow> mine = rows.stream().filter(r -> r.experiment().equals(e.name())).toList();
      if (mine.isEmpty()) continue;
      List<String> keys = new ArrayList<>(e.grid().keySet());
      List<String> cols =
          new ArrayList<>(
              switch (e.kind()) {
                case SCAN -> SCAN_COLUMNS;
                case PERF -> PERF_COLUMNS;
                case MIGRATION -> MIGRATION_COLUMNS;
              });
      if (mine.stream().anyMatch(r -> r.outputs().get("postcopy.mode") != null)) cols.addAll(POSTCOPY_COLUMNS);
      out.append("\n").append(e.name()).append(" (").append(e.kind().id()).append(", ")
          .append(describeFixed(e, sweep)).append(")\n\n");
      List<String> header = new ArrayList<>(keys);
      header.add("runs");
      header.addAll(cols.stream().map(Plotter::columnTitle).toList());
      line(out, header);
      List<String> sep = new ArrayList<>();
      for (int i = 0; i < header.size(); i++) sep.add("---");
      line(out, sep);
      Set<String> seen = new LinkedHashSet<>();
      for (ResultRow r : mine) {
        String label = label(keys, r);
        if (!seen.add(label)) continue;
        List<ResultRow> same = mine.stream().filter(x -> label(keys, x).equals(label)).toList();
        List<ResultRow> ok = same.stream().filter(ResultRow::ok).toList();
        List<String> f = new ArrayList<>();
        for (String k : keys) f.add(r.parameters().get(k));
        f.add(ok.size() + "/" + same.size() + (ok.size() < same.size() ? " (failed: see results.csv)" : ""));
        for (String c : cols) f.add(spread(ok, c));
        line(out, f);
      }
    }
    return out.toString();
  }

  private static String describeFixed(ExperimentSpec e, SweepSpec sweep) {
    List<String> parts = new ArrayList<>();
    for (Param p : new Param[] {Param.RAM, Param.VCPUS, Param.BACKING, Param.WORKLOAD, Param.DIRTY_RATE, Param.DIRTY_LOG,
        Param.LINK_RATE, Param.RTT_MILLIS, Param.SCAN_THREADS, Param.VCPU_MEMORY, Param.ITERATIONS, Param.WRITE_PERCENT,
        Param.DEVICE_WRITE_RATE, Param.VARIANT}) {
      if (!p.appliesTo(e.kind()) || e.grid().containsKey(p.key())) continue;
      String v = e.fixed().getOrDefault(p.key(), sweep.defaults().getOrDefault(p.key(), p.defaultValue()));
      parts.add(p.key() + "=" + v);
    }
    return String.join(", ", parts);
  }

  private static String label(List<String> keys, ResultRow r) {
    StringBuilder b = new StringBuilder();
    for (String k : keys) b.append(r.parameters().get(k)).append('|');
    return b.toString();
  }

  private static String spread(List<ResultRow> rows, String column) {
    Spread s = Spread.of(rows, column);
    if (s.n() == 0) return "–";
    if (s.n() == 1) return number(s.median());
    return number(s.median()) + " [" + number(s.p10()) + "–" + number(s.p90()) + "]";
  }

  private static String number(double m) {
    if (m == Math.rint(m) && Math.abs(m) < 1e15) return Long.toString((long) m);
    if (Math.abs(m) >= 1000) return String.format(Locale.ROOT, "%.0f", m);
    if (Math.abs(m) >= 10) return String.format(Locale.ROOT, "%.1f", m);
    return String.format(Locale.ROOT, "%.2f", m);
  }

  private static void line(StringBuilder out, List<String> fields) {
    out.append("| ").append(String.join(" | ", fields)).append(" |\n");
  }
}
