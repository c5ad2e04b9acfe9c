package io.dbmmigrate.util;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one console progress helper of the command-line tools: a progress bar on an interactive
 * terminal, nothing otherwise (the tools then print one line per step instead). The source's
 * per-round bar and the experiment runner's sweep bar are both this.
 *
 * <p>Not thread-safe: callers serialize (both do, on their own monitor or thread).
 */
public final class ConsoleBar implements AutoCloseable {
  private static final ConsoleBar NONE = new ConsoleBar(null);

  private final ProgressBar bar;

  private ConsoleBar(ProgressBar bar) {
    this.bar = bar;
  }

  /**
   * A bar of {@code max} steps on {@code to}, or a no-op bar when {@code interactive} is false or
   * there is nothing to do.
   *
   * @param unit shown after the counts and used for the speed ("pages"), or null for plain steps
   */
  public static ConsoleBar start(PrintStream to, boolean interactive, String task, long max, String unit) {
    if (!interactive || max <= 0) return NONE;
    ProgressBarBuilder b =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setUpdateIntervalMillis(200)
            .setConsumer(new ConsoleProgressBarConsumer(to));
    if (unit != null) b.setUnit(" " + unit, 1).showSpeed();
    else b.setStyle(ProgressBarStyle.ASCII);
    return new ConsoleBar(b.build());
  }

  /** The no-op bar. */
  public static ConsoleBar none() {
    return NONE;
  }

  /** Whether a bar is drawn (false: the caller prints its own lines). */
  public boolean shown() {
    return bar != null;
  }

  public void stepTo(long n) {
    if (bar != null) bar.stepTo(n);
  }

  public void step() {
    if (bar != null) bar.step();
  }

  public void message(String extra) {
    if (bar != null) bar.setExtraMessage(extra);
  }

  /**
   * Clears the terminal line the bar is drawn on (when it shares {@code out}'s terminal), so that a
   * line printed next does not run into it; the bar redraws below.
   */
  public void clearLine(PrintStream out) {
    if (bar != null) out.print("\r\033[K");
  }

  @Override
  public void close() {
    if (bar != null) bar.close();
  }
}
