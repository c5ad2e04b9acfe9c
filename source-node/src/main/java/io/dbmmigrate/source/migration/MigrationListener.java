package io.dbmmigrate.source.migration;

import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;

/**
 * Receives a migration's events: the console (progress bar, table) and the control API's event
 * stream implement it. {@link #onProgress} is called from page-stream threads, the rest from the
 * controller's thread; implementations must be thread-safe and must not block.
 */
public interface MigrationListener {
  default void onPhase(MigrationPhase phase, String detail) {}

  /** A round starts: {@code pages} pages are to be sent in it. */
  default void onRoundStarted(int round, String mode, long pages) {}

  /** At most a few times a second while a round sends. */
  default void onProgress(int round, long pagesDone, long pagesTotal, long bytesSentTotal) {}

  default void onRound(RoundRecord round) {}

  /** Exactly once, last. */
  default void onFinished(MigrationReport report) {}

  MigrationListener NONE = new MigrationListener() {};

  /** Forwards every event to each listener in order. */
  static MigrationListener all(MigrationListener... listeners) {
    return new MigrationListener() {
      @Override
      public void onPhase(MigrationPhase phase, String detail) {
        for (MigrationListener l : listeners) l.onPhase(phase, detail);
      }

      @Override
      public void onRoundStarted(int round, String mode, long pages) {
        for (MigrationListener l : listeners) l.onRoundStarted(round, mode, pages);
      }

      @Override
      public void onProgress(int round, long pagesDone, long pagesTotal, long bytesSentTotal) {
        for (MigrationListener l : listeners) l.onProgress(round, pagesDone, pagesTotal, bytesSentTotal);
      }

      @Override
      public void onRound(RoundRecord round) {
        for (MigrationListener l : listeners) l.onRound(round);
      }

      @Override
      public void onFinished(MigrationReport report) {
        for (MigrationListener l : listeners) l.onFinished(report);
      }
    };
  }
}
