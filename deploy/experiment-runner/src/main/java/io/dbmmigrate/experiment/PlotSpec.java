package io.dbmmigrate.experiment;

import java.util.List;
import java.util.Map;

/**
 * One plot of an experiment's rows.
 *
 * @param type {@code xy}: an output column (y) against a parameter (x), mean over repetitions, one
 *     line per series; {@code rounds}: a per-round statistic (y: dirtyPages, syncMillis, ...)
 *     against the round number, one line per representative run; {@code timeline}: guest write
 *     throughput over time, one line per representative run, the hw→sw switch marked; {@code
 *     downtime-parts}: one stacked bar per condition, the median of each downtime part; {@code
 *     bars}: per condition (the series keys), one bar per y column, the median over repetitions
 * @param name file name without extension (PNG and SVG are written)
 * @param title chart title
 * @param x parameter on the x axis (xy only)
 * @param y output column (xy; several, comma-separated, give one line each) or round statistic
 *     (rounds)
 * @param series parameters whose values name the lines; other parameters that vary are added to
 *     the line names so that distinct conditions are never averaged together
 * @param where only rows whose parameters have these values
 * @param logX logarithmic x axis
 * @param logY logarithmic y axis
 */
record PlotSpec(
    String type,
    String name,
    String title,
    String x,
    String y,
    List<String> series,
    Map<String, String> where,
    boolean logX,
    boolean logY) {
  static final List<String> TYPES = List.of("xy", "rounds", "timeline", "downtime-parts", "bars");

  PlotSpec {
    if (!TYPES.contains(type)) throw new IllegalArgumentException("plot type must be one of " + TYPES + ", not '" + type + "'");
    if (name == null || !name.matches("[A-Za-z0-9._-]+"))
      throw new IllegalArgumentException("plot name must be a file name ([A-Za-z0-9._-]), not '" + name + "'");
    if (type.equals("xy") && (x == null || y == null)) throw new IllegalArgumentException("xy plot '" + name + "' needs x and y");
    if (type.equals("bars") && y == null) throw new IllegalArgumentException("bars plot '" + name + "' needs y");
    if (type.equals("rounds") && y == null) throw new IllegalArgumentException("rounds plot '" + name + "' needs y");
    series = series == null ? List.of() : List.copyOf(series);
    where = where == null ? Map.of() : Map.copyOf(where);
  }

  /** The y columns of an xy or bars plot. */
  List<String> yColumns() {
    return y == null ? List.of() : List.of(y.split(","));
  }
}
