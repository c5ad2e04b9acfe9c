package io.dbmmigrate.experiment;

import java.util.List;
import java.util.Map;

/**
 * A sweep as read from a spec file, with the full or the quick section selected.
 *
 * @param name spec name (results go to {@code results/<name>/}, or {@code results/<name>/quick/})
 * @param quick whether this is the quick variant
 * @param defaults normalized parameter defaults over {@link Param}'s built-in ones
 */
record SweepSpec(
    String name, String description, boolean quick, Map<String, String> defaults, List<ExperimentSpec> experiments) {
  SweepSpec {
    defaults = Map.copyOf(defaults);
    experiments = List.copyOf(experiments);
  }

  long runCount() {
    long n = 0;
    for (ExperimentSpec e : experiments) n += e.runCount();
    return n;
  }
}
