package io.dbmmigrate.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One experiment of a sweep: a point kind, fixed parameters, a grid (the cartesian product of the
 * listed values, first key outermost), repetitions and plots. Parameter values are normalized.
 *
 * @param fixed parameters set for every point of this experiment (over the sweep's defaults)
 * @param grid parameter → values, in spec order
 */
record ExperimentSpec(
    String name,
    PointKind kind,
    Map<String, String> fixed,
    LinkedHashMap<String, List<String>> grid,
    int repetitions,
    List<PlotSpec> plots) {
  ExperimentSpec {
    if (name == null || !name.matches("[A-Za-z0-9._-]+"))
      throw new IllegalArgumentException("experiment name must be [A-Za-z0-9._-]+, not '" + name + "'");
    if (repetitions < 1) throw new IllegalArgumentException(name + ": repetitions must be >= 1");
    fixed = Map.copyOf(fixed);
    grid = new LinkedHashMap<>(grid);
    plots = List.copyOf(plots);
  }

  /** Number of runs: product of the grid sizes × repetitions. */
  long runCount() {
    long n = repetitions;
    for (List<String> values : grid.values()) n *= values.size();
    return n;
  }
}
