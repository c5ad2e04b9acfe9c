package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Expands a sweep into runs: for each experiment, the cartesian product of its grid (first key
 * outermost, last key fastest), each point repeated; a parameter's value is the grid's, else the
 * experiment's {@code set}, else the sweep's defaults, else {@link Param}'s built-in default.
 * Repetitions are the outermost loop, so that an interrupted sweep has covered every point once
 * before it repeats any.
 */
final class GridExpander {
  private GridExpander() {}

  static List<RunPoint> expand(SweepSpec sweep) {
    List<RunPoint> runs = new ArrayList<>();
    for (ExperimentSpec e : sweep.experiments()) runs.addAll(expand(e, sweep.defaults()));
    return runs;
  }

  static List<RunPoint> expand(ExperimentSpec e, Map<String, String> defaults) {
    TreeMap<String, String> base = new TreeMap<>();
    for (Param p : Param.values()) {
      if (!p.appliesTo(e.kind())) continue;
      base.put(p.key(), defaults.getOrDefault(p.key(), p.defaultValue()));
    }
    base.putAll(e.fixed());
    List<TreeMap<String, String>> points = new ArrayList<>();
    points.add(base);
    for (Map.Entry<String, List<String>> axis : e.grid().entrySet()) {
      List<TreeMap<String, String>> next = new ArrayList<>();
      for (TreeMap<String, String> p : points) {
        for (String v : axis.getValue()) {
          TreeMap<String, String> q = new TreeMap<>(p);
          q.put(axis.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    List<RunPoint> runs = new ArrayList<>();
    for (int rep = 0; rep < e.repetitions(); rep++)
      for (TreeMap<String, String> p : points)
        runs.add(new RunPoint(e.name(), e.kind(), p, rep, PointKey.of(e.name(), e.kind(), p, rep)));
    return runs;
  }
}
