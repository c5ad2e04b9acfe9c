package io.dbmmigrate.experiment;

import io.dbmmigrate.util.ConsoleBar;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Progress of a sweep on the console: one line per finished run on {@code out}, and, on an
 * interactive terminal, a progress bar ({@link ConsoleBar}) with the ETA on stderr (the run lines
 * clear the bar's line first).
 */
final class SweepConsole implements Progress {
  private final PrintStream out;
  private final boolean bar;
  private final List<String> describeKeys;
  private ConsoleBar progressBar = ConsoleBar.none();

  /**
   * @param describeKeys parameters named in each run's line (the ones that vary in the sweep)
   */
  SweepConsole(PrintStream out, boolean interactive, List<String> describeKeys) {
    this.out = out;
    this.bar = interactive;
    this.describeKeys = List.copyOf(describeKeys);
  }

  @Override
  public void begin(String sweep, int total, int alreadyDone) {
    out.printf("%s: %d runs, %d already done, %d to run%n", sweep, total, alreadyDone, total - alreadyDone);
    progressBar = ConsoleBar.start(System.err, bar, sweep, total - alreadyDone, null);
  }

  @Override
  public void start(int index, int toRun, RunPoint point) {
    if (progressBar.shown()) progressBar.message(point.experiment());
    else out.printf("[%d/%d] %s ...%n", index + 1, toRun, point.describe(present(point)));
  }

  private List<String> present(RunPoint p) {
    return describeKeys.stream().filter(k -> p.parameters().containsKey(k)).toList();
  }

  @Override
  public void finish(int index, int toRun, ResultRow row) {
    String summary =
        row.ok()
            ? switch (row.pointKind()) {
                case SCAN -> String.format(Locale.ROOT, "sync %.2f ms", row.number("syncMillis"));
                case PERF -> String.format(Locale.ROOT, "dirty memory %.1f ms, get log %.2f ms, %d pages lost",
                    row.number("dirtyMemoryMillisMean"), row.number("getLogMillisMean"), (long) row.number("lostPages"));
                case MIGRATION -> String.format(Locale.ROOT, "downtime %.1f ms, total %.0f ms, %d rounds",
                    row.number("downtimeMillis"), row.number("totalMillis"), (long) row.number("rounds"));
              }
            : "FAILED: " + firstLine(row.error());
    progressBar.step();
    progressBar.clearLine(out); // the bar redraws below the run's line
    out.printf(Locale.ROOT, "[%d/%d] %s %s %s (%.1f s)%n", index + 1, toRun, row.key(), row.experiment(), summary,
        row.wallMillis() / 1000.0);
  }

  /** First line, and the last one when there are more (the error, then the last output line). */
  private static String firstLine(String s) {
    if (s == null) return "";
    String t = s.strip();
    int nl = t.indexOf('\n');
    if (nl < 0) return t;
    return t.substring(0, nl) + " … " + t.substring(t.lastIndexOf('\n') + 1);
  }

  @Override
  public void end() {
    progressBar.close();
  }
}
