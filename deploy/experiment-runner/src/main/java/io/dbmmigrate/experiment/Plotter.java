package io.dbmmigrate.experiment;

import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws an experiment's plots with XChart, each as PNG and SVG (VectorGraphics2D).
 *
 * <p>Only successful rows are drawn. Lines are named by the plot's series parameters plus every
 * other hashed parameter that varies among the rows (except x), so that distinct conditions are
 * never averaged together; repetitions of one condition are drawn as their median with error bars
 * to the 10th/90th percentile (xy, {@link Spread}) or represented by their lowest repetition
 * (rounds, timeline); {@code downtime-parts} stacks the median of each downtime part per
 * condition.
 */
final class Plotter {
  static final int WIDTH = 900;
  static final int HEIGHT = 560;

  /** A chart written to disk. */
  record Written(Path png, Path svg, int seriesCount, String title) {}

  private Plotter() {}

  static Written plot(PlotSpec spec, List<ResultRow> experimentRows, Path dir) throws IOException {
    List<ResultRow> rows = select(spec, experimentRows);
    Chart<?, ?> chart =
        switch (spec.type()) {
          case "xy" -> xy(spec, rows);
          case "rounds" -> rounds(spec, rows);
          case "timeline" -> timeline(spec, rows);
          case "downtime-parts" -> downtimeParts(spec, rows);
          case "bars" -> bars(spec, rows);
          default -> throw new IllegalArgumentException("plot type " + spec.type());
        };
    if (chart.getSeriesCollection().isEmpty()) chart.setTitle(chart.getTitle() + " (no successful runs)");
    Files.createDirectories(dir);
    Path png = dir.resolve(spec.name() + ".png");
    Path svg = dir.resolve(spec.name() + ".svg");
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    VectorGraphicsEncoder.saveVectorGraphic(chart, svg.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    return new Written(png, svg, chart.getSeriesCollection().size(), chart.getTitle());
  }

  static List<ResultRow> select(PlotSpec spec, List<ResultRow> rows) {
    List<ResultRow> out = new ArrayList<>();
    for (ResultRow r : rows) {
      if (!r.ok()) continue;
      boolean match = true;
      for (Map.Entry<String, String> w : spec.where().entrySet())
        if (!w.getValue().equals(r.parameters().get(w.getKey()))) match = false;
      if (match) out.add(r);
    }
    return out;
  }

  /** The parameters that name lines: the spec's series, then other varying hashed parameters. */
  static List<String> seriesKeys(PlotSpec spec, List<ResultRow> rows) {
    Set<String> keys = new LinkedHashSet<>(spec.series());
    for (Param p : Param.values()) {
      if (!p.hashed() || p.key().equals(spec.x()) || p == Param.SEED) continue;
      Set<String> values = new LinkedHashSet<>();
      for (ResultRow r : rows) values.add(r.parameters().get(p.key()));
      if (values.size() > 1) keys.add(p.key());
    }
    return new ArrayList<>(keys);
  }

  static String seriesLabel(List<String> keys, ResultRow r) {
    if (keys.isEmpty()) return r.experiment();
    if (keys.size() == 1) return r.parameters().get(keys.get(0));
    StringBuilder b = new StringBuilder();
    for (String k : keys) b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(r.parameters().get(k));
    return b.toString();
  }

  /** Rows grouped by line label, in first-seen order. */
  static Map<String, List<ResultRow>> group(List<String> keys, List<ResultRow> rows) {
    Map<String, List<ResultRow>> groups = new LinkedHashMap<>();
    for (ResultRow r : rows) groups.computeIfAbsent(seriesLabel(keys, r), k -> new ArrayList<>()).add(r);
    return groups;
  }

  private static XYChart newChart(PlotSpec spec, String xTitle, String yTitle) {
    XYChart chart =
        new XYChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title()).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setMarkerSize(7);
    return chart;
  }

  private static XYChart xy(PlotSpec spec, List<ResultRow> rows) {
    Param xParam = Param.byKey(spec.x());
    List<String> ys = spec.yColumns();
    XYChart chart =
        newChart(spec, xParam.axisTitle(), String.join(" / ", ys.stream().map(Plotter::columnTitle).toList()));
    List<String> keys = seriesKeys(spec, rows);
    boolean positive = true;
    for (String y : ys) {
      for (Map.Entry<String, List<ResultRow>> g : group(keys, rows).entrySet()) {
        TreeMap<Double, List<ResultRow>> byX = new TreeMap<>();
        for (ResultRow r : g.getValue()) {
          if (Double.isNaN(r.number(y))) continue;
          byX.computeIfAbsent(xParam.axisValue(r.parameters().get(xParam.key())), k -> new ArrayList<>()).add(r);
        }
        if (byX.isEmpty()) continue;
        double[] xs = new double[byX.size()];
        double[] medians = new double[byX.size()];
        double[] bars = new double[byX.size()];
        boolean anyBar = false;
        int i = 0;
        for (Map.Entry<Double, List<ResultRow>> e : byX.entrySet()) {
          Spread sp = Spread.of(e.getValue(), y);
          xs[i] = e.getKey();
          medians[i] = sp.median();
          bars[i] = sp.errorBar();
          anyBar |= bars[i] > 0;
          if (xs[i] <= 0) positive = false;
          i++;
        }
        String label = ys.size() == 1 ? g.getKey() : (keys.isEmpty() ? "" : g.getKey() + ": ") + columnTitle(y);
        // median over repetitions; error bars reach the farther of p10 and p90 (log axes: none,
        // XChart cannot draw a bar below zero there)
        if (anyBar && !spec.logY()) chart.addSeries(label, xs, medians, bars);
        else chart.addSeries(label, xs, medians);
      }
    }
    chart.getStyler().setXAxisLogarithmic(spec.logX() && positive && !chart.getSeriesCollection().isEmpty());
    chart.getStyler().setYAxisLogarithmic(spec.logY() && !chart.getSeriesCollection().isEmpty());
    return chart;
  }

  /** The downtime parts stacked, bottom to top, as the row outputs name them. */
  static final List<String> DOWNTIME_PARTS =
      List.of(
          "dtPauseMillis", "dtFinalSyncMillis", "dtFinalSendMillis", "dtVcpuCaptureMillis",
          "dtCommitExchangeMillis", "dtDestMillis", "dtUnaccountedMillis");

  /**
   * One stacked bar per condition (series keys): the median of each downtime part over its
   * repetitions, so that a bar's height is close to (not exactly) the median downtime; a negative
   * median remainder is drawn as 0.
   */
  private static CategoryChart downtimeParts(PlotSpec spec, List<ResultRow> rows) {
    CategoryChart chart =
        new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title()).xAxisTitle("condition")
            .yAxisTitle("downtime (ms)").build();
    chart.getStyler().setStacked(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    Map<String, List<ResultRow>> groups = group(seriesKeys(spec, rows), rows);
    List<String> conditions = new ArrayList<>();
    for (Map.Entry<String, List<ResultRow>> g : groups.entrySet())
      if (Spread.of(g.getValue(), "dtFinalSendMillis").n() > 0) conditions.add(g.getKey());
    if (conditions.isEmpty()) return chart;
    for (String part : DOWNTIME_PARTS) {
      List<Double> ys = new ArrayList<>();
      for (String c : conditions) {
        double m = Spread.of(groups.get(c), part).median();
        ys.add(Double.isNaN(m) ? 0 : Math.max(0, m));
      }
      chart.addSeries(columnTitle(part), conditions, ys);
    }
    return chart;
  }

  /**
   * Per condition (series keys), one bar per y column: the median over its repetitions; a
   * condition without the column gets a bar of 0. The y axis is linear (logY is ignored: a missing
   * bar has no place on a log axis).
   */
  private static CategoryChart bars(PlotSpec spec, List<ResultRow> rows) {
    List<String> ys = spec.yColumns();
    CategoryChart chart =
        new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title()).xAxisTitle("condition")
            .yAxisTitle(ys.size() == 1 ? columnTitle(ys.get(0)) : "value").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setXAxisLabelRotation(20);
    Map<String, List<ResultRow>> groups = group(seriesKeys(spec, rows), rows);
    if (groups.isEmpty()) return chart;
    List<String> conditions = new ArrayList<>(groups.keySet());
    for (String y : ys) {
      List<Double> values = new ArrayList<>();
      boolean any = false;
      for (String c : conditions) {
        double m = Spread.of(groups.get(c), y).median();
        any |= !Double.isNaN(m);
        values.add(Double.isNaN(m) ? 0.0 : m);
      }
      if (any) chart.addSeries(columnTitle(y), conditions, values);
    }
    return chart;
  }

  /** Per key of a group, the row with the lowest repetition. */
  static Map<String, ResultRow> representatives(List<String> keys, List<ResultRow> rows) {
    Map<String, ResultRow> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<ResultRow>> g : group(keys, rows).entrySet())
      out.put(g.getKey(), g.getValue().stream().min(Comparator.comparingInt(ResultRow::repetition)).orElseThrow());
    return out;
  }

  private static XYChart rounds(PlotSpec spec, List<ResultRow> rows) {
    XYChart chart = newChart(spec, "round", columnTitle(spec.y()));
    for (Map.Entry<String, ResultRow> e : representatives(seriesKeys(spec, rows), rows).entrySet()) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (RoundRecord s : e.getValue().roundStats()) {
        Double y = roundField(s, spec.y());
        if (y == null) continue;
        xs.add((double) s.round());
        ys.add(y);
      }
      if (!xs.isEmpty()) chart.addSeries(e.getKey(), xs, ys);
    }
    chart.getStyler().setYAxisLogarithmic(spec.logY() && !chart.getSeriesCollection().isEmpty());
    return chart;
  }

  private static XYChart timeline(PlotSpec spec, List<ResultRow> rows) {
    XYChart chart = newChart(spec, "time since migration start (s)", "guest writes/s");
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    List<Double> switchX = new ArrayList<>();
    List<Double> switchY = new ArrayList<>();
    List<Double> pauseX = new ArrayList<>();
    List<Double> pauseY = new ArrayList<>();
    for (Map.Entry<String, ResultRow> e : representatives(seriesKeys(spec, rows), rows).entrySet()) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (TimelineSample t : e.getValue().timeline()) {
                xs.add(t.tMillis() / 1000.0);
        ys.add(t.guestWritesPerSec());
      }
      if (xs.isEmpty()) continue;
      XYSeries s = chart.addSeries(e.getKey(), xs, ys);
      s.setMarker(SeriesMarkers.NONE);
      Double sw = switchMillis(e.getValue());
      if (sw != null) {
        switchX.add(sw / 1000.0);
        switchY.add(valueAt(xs, ys, sw / 1000.0));
        chart.addAnnotation(new AnnotationLine(sw / 1000.0, true, false));
      }
      Double pause = firstPhaseMillis(e.getValue(), "paused");
      if (pause != null) {
        pauseX.add(pause / 1000.0);
        pauseY.add(valueAt(xs, ys, pause / 1000.0));
      }
    }
    if (!switchX.isEmpty()) {
      XYSeries marks = chart.addSeries("hw→sw switch", switchX, switchY);
      marks.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      marks.setMarker(SeriesMarkers.DIAMOND);
      marks.setMarkerColor(java.awt.Color.RED);
      double top = 0;
      for (Double y : switchY) top = Math.max(top, y);
      chart.addAnnotation(new AnnotationText("switch", switchX.get(0), top, false));
    }
    if (!pauseX.isEmpty()) {
      XYSeries marks = chart.addSeries("pause (downtime starts)", pauseX, pauseY);
      marks.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      marks.setMarker(SeriesMarkers.TRIANGLE_DOWN);
      marks.setMarkerColor(java.awt.Color.BLACK);
    }
    return chart;
  }

  /**
   * When a run switched from hardware to software dirty logging, in ms since the migration
   * started: the first timeline sample in phase "sw" (or one naming the switch) after a sample in
   * another phase. Rounds can be shorter than the sampling interval; without such a sample the
   * time is estimated from the round statistics: the first "full" sample (round 0 starts) plus
   * the sync and send times of the rounds before the switch round. Null when the run never
   * switched.
   */
  static Double switchMillis(ResultRow r) {
    Object round = r.outputs().get("switchRound");
    if (!(round instanceof Number n) || n.intValue() < 0) return null;
    boolean previousSw = true; // no marker at the very first sample
    for (TimelineSample t : r.timeline()) {
      String phase = t.phase() == null ? "" : t.phase().toLowerCase(Locale.ROOT);
      boolean sw = phase.equals("sw") || phase.endsWith("-sw") || phase.contains("switch");
      if (sw && !previousSw) return t.tMillis();
      previousSw = sw;
    }
    Double start = firstPhaseMillis(r, "full");
    if (start == null) return null;
    double t = start;
    for (RoundRecord s : r.roundStats()) {
      if (s.round() >= n.intValue()) break;
      t += s.syncMillis() + s.sendMillis();
    }
    return t;
  }

  /** Time of the first timeline sample in {@code phase}, or null. */
  static Double firstPhaseMillis(ResultRow r, String phase) {
    for (TimelineSample t : r.timeline())
      if (phase.equalsIgnoreCase(t.phase())) return t.tMillis();
    return null;
  }

  private static double valueAt(List<Double> xs, List<Double> ys, double x) {
    double best = ys.get(0);
    double bestDist = Double.MAX_VALUE;
    for (int i = 0; i < xs.size(); i++) {
      double d = Math.abs(xs.get(i) - x);
      if (d < bestDist) {
        bestDist = d;
        best = ys.get(i);
      }
    }
    return best;
  }

  static Double roundField(RoundRecord s, String field) {
    Number n =
        switch (field) {
          case "dirtyPages" -> s.dirtyPages();
          case "syncMillis" -> s.syncMillis();
          case "ptesVisited" -> s.ptesVisited();
          case "pagesSent" -> s.pagesSent();
          case "bytesSent" -> s.bytesSent();
          case "sendMillis" -> s.sendMillis();
          case "dirtyRatePagesPerSec" -> s.dirtyRatePagesPerSec();
          case "throughputBytesPerSec" -> s.throughputBytesPerSec();
          case "remainingPages" -> s.remainingPages();
          case "estimatedDowntimeMillis" -> s.estimatedDowntimeMillis();
          case "guestWritesPerSec" -> s.guestWritesPerSec();
          case "throttlePercent" -> s.throttlePercent();
          default -> throw new IllegalArgumentException("unknown round field " + field);
        };
    return n == null ? null : n.doubleValue();
  }

  /** "downtimeMillis" → "downtime (ms)", "syncMillisPer64GiB" → "sync per 64 GiB (ms)". */
  static String columnTitle(String column) {
    if (column.equals("syncMillis")) return "sync (ms)"; // scan points: the mode's harvest (hw: the full scan)
    if (column.equals("swSyncMillis")) return "SW sync after the switch (ms)";
    String unit = "";
    String base = column.replace("Per64GiB", "Per64gib");
    if (base.contains("Millis")) {
      base = base.replace("Millis", "");
      unit = " (ms)";
    } else if (base.endsWith("Percent")) {
      base = base.substring(0, base.length() - 7);
      unit = " (%)";
    } else if (base.endsWith("PerSec")) {
      base = base.substring(0, base.length() - 6);
      unit = "/s";
    }
    String words = base.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    return words.replace("per64gib", "per 64 GiB") + unit;
  }

}
