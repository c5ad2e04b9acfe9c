package io.dbmmigrate.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a sweep: expands it, skips runs that already have a row (successful ones always; failed
 * ones unless {@code retryFailed}), runs the rest one after another (a failed run is recorded and
 * the sweep goes on), saves the results after every run, and draws the plots at the end.
 *
 * <p>Runs are sequential on purpose: the machines this targets have few cores, and two migrations
 * at once would measure each other.
 */
final class SweepRunner {
  private static final Logger log = LoggerFactory.getLogger(SweepRunner.class);

  /** What a sweep did. */
  record Summary(int total, int skipped, int ok, int failed, List<Plotter.Written> plots, long elapsedMillis) {}

  private final Map<PointKind, PointRunner> runners;
  private final ResultStore store;
  private final Progress progress;
  private final boolean retryFailed;

  SweepRunner(Map<PointKind, PointRunner> runners, ResultStore store, Progress progress, boolean retryFailed) {
    this.runners = Map.copyOf(runners);
    this.store = store;
    this.progress = progress;
    this.retryFailed = retryFailed;
  }

  /** The runs of the sweep that still have to run. */
  List<RunPoint> pending(List<RunPoint> runs) {
    List<RunPoint> todo = new ArrayList<>();
    for (RunPoint r : runs) {
      ResultRow done = store.get(r.key());
      if (done == null || (!done.ok() && retryFailed)) todo.add(r);
    }
    return todo;
  }

  Summary run(SweepSpec sweep) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    store.load();
    store.describe(sweep);
    List<RunPoint> runs = GridExpander.expand(sweep);
    List<RunPoint> todo = pending(runs);
    progress.begin(sweep.name() + (sweep.quick() ? " (quick)" : ""), runs.size(), runs.size() - todo.size());
    int ok = 0;
    int failed = 0;
    try {
      for (int i = 0; i < todo.size(); i++) {
        RunPoint p = todo.get(i);
        progress.start(i, todo.size(), p);
        PointRunner runner = runners.get(p.kind());
        if (runner == null) throw new IllegalStateException("no runner for " + p.kind().id() + " points");
        ResultRow row = runner.run(p, store.dir().resolve("runs").resolve(p.key()).toAbsolutePath());
        store.put(row);
        if (row.ok()) ok++;
        else failed++;
        progress.finish(i, todo.size(), row);
      }
    } finally {
      progress.end();
    }
    List<Plotter.Written> plots = plot(sweep, runs);
    return new Summary(runs.size(), runs.size() - todo.size(), ok, failed, plots, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Draws every plot of the sweep from the stored rows of its current runs. */
  List<Plotter.Written> plot(SweepSpec sweep, List<RunPoint> runs) throws IOException {
    Set<String> keys = new HashSet<>();
    for (RunPoint r : runs) keys.add(r.key());
    List<Plotter.Written> written = new ArrayList<>();
    Path dir = store.dir().resolve("plots");
    for (ExperimentSpec e : sweep.experiments()) {
      List<ResultRow> rows = new ArrayList<>();
      for (ResultRow r : store.rows()) if (keys.contains(r.key()) && r.experiment().equals(e.name())) rows.add(r);
      for (PlotSpec ps : e.plots()) {
        try {
          written.add(Plotter.plot(ps, rows, dir));
        } catch (RuntimeException ex) {
          log.warn("plot {} of {} failed: {}", ps.name(), e.name(), ex.toString());
        }
      }
    }
    return written;
  }
}
