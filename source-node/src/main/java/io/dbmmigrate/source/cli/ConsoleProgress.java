package io.dbmmigrate.source.cli;

import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.source.migration.MigrationListener;
import io.dbmmigrate.source.migration.MigrationPhase;
import io.dbmmigrate.util.ConsoleBar;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The source's console while a migration runs, on stderr (stdout carries the table and summary): a
 * progress bar per round ({@link ConsoleBar}) when stderr is a terminal, otherwise one line per round.
 *
 * <p>Concurrency: progress arrives from page-stream threads, the rest from the controller thread;
 * every method is synchronized on this (cheap: at most a few calls per second).
 */
final class ConsoleProgress implements MigrationListener {
  private final PrintStream err;
  private final boolean bar;
  private ConsoleBar current = ConsoleBar.none();

  ConsoleProgress(PrintStream err, boolean bar) {
    this.err = err;
    this.bar = bar;
  }

  @Override
  public synchronized void onPhase(MigrationPhase phase, String detail) {
    closeBar();
    err.println("[" + phase + "] " + (detail == null ? "" : detail));
  }

  @Override
  public synchronized void onRoundStarted(int round, String mode, long pages) {
    closeBar();
    current = ConsoleBar.start(err, bar, String.format(Locale.ROOT, "round %d %-5s", round, mode), pages, "pages");
  }

  @Override
  public synchronized void onProgress(int round, long pagesDone, long pagesTotal, long bytesSentTotal) {
    current.stepTo(pagesDone);
  }

  @Override
  public synchronized void onRound(RoundRecord r) {
    current.stepTo(r.pagesSent());
    closeBar();
    if (!bar)
      err.printf(
          Locale.ROOT,
          "round %d %-5s dirty %d, sent %d pages (%.1f MiB) in %.1f ms, est. downtime %.1f ms, guest %.0f wr/s%n",
          r.round(), r.mode(), r.dirtyPages(), r.pagesSent(), r.bytesSent() / 1048576.0, r.sendMillis(),
          r.estimatedDowntimeMillis(), r.guestWritesPerSec());
  }

  private void closeBar() {
    current.close();
    current = ConsoleBar.none();
  }
}
