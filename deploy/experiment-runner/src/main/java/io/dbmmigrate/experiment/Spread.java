package io.dbmmigrate.experiment;

import java.util.Arrays;
import java.util.List;

/**
 * Median and the 10th–90th percentile range of one output over the repetitions of a condition
 * (issue 15 item 3): what tables print and what the error bars of plots draw. Percentiles
 * interpolate linearly between order statistics, so three repetitions give p10 and p90 just inside
 * their minimum and maximum.
 */
record Spread(int n, double median, double p10, double p90) {
  static final Spread NONE = new Spread(0, Double.NaN, Double.NaN, Double.NaN);

  /** The spread of {@code column} over {@code rows} (NaN values are skipped). */
  static Spread of(List<ResultRow> rows, String column) {
    double[] v = rows.stream().mapToDouble(r -> r.number(column)).filter(x -> !Double.isNaN(x)).toArray();
    return of(v);
  }

  static Spread of(double[] values) {
    if (values.length == 0) return NONE;
    double[] s = values.clone();
    Arrays.sort(s);
    return new Spread(s.length, percentile(s, 0.5), percentile(s, 0.1), percentile(s, 0.9));
  }

  static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  /** Symmetric error bar for a chart: the larger distance from the median to p10 or p90. */
  double errorBar() {
    return n < 2 ? 0 : Math.max(median - p10, p90 - median);
  }
}
