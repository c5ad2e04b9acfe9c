package io.dbmmigrate.experiment;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One run of a sweep: an experiment's point with every parameter of its kind resolved and
 * normalized, and a repetition index.
 *
 * @param parameters every {@link Param} that applies to the kind, by spec-file name
 * @param key identity for resume, see {@link PointKey}
 */
record RunPoint(String experiment, PointKind kind, SortedMap<String, String> parameters, int repetition, String key) {
  RunPoint {
    parameters = new TreeMap<>(parameters);
  }

  String get(Param p) {
    String v = parameters.get(p.key());
    if (v == null) throw new IllegalStateException(p.key() + " does not apply to " + kind.id() + " points");
    return v;
  }

  long getLong(Param p) {
    return Long.parseLong(get(p));
  }

  double getDouble(Param p) {
    return Double.parseDouble(get(p));
  }

  long getBytes(Param p) {
    return Sizes.parseBytes(get(p));
  }

  /** The seed this run uses: the spec's seed plus the repetition, so repetitions differ. */
  long effectiveSeed() {
    return getLong(Param.SEED) + repetition;
  }

  /** Short human description: experiment, the given parameters, repetition. */
  String describe(Iterable<String> keys) {
    StringBuilder b = new StringBuilder(experiment);
    for (String k : keys) b.append(' ').append(k).append('=').append(parameters.get(k));
    return b.append(" rep=").append(repetition).toString();
  }
}
