package io.dbmmigrate.testing;

import java.util.concurrent.TimeUnit;

/** Bounded waits for test threads: a thread that does not finish fails the test, never hangs it. */
public final class Threads {
  /** How long a test waits for a helper thread that should finish promptly. */
  public static final long JOIN_SECONDS = 30;

  private Threads() {}

  /** Joins {@code t} for at most {@link #JOIN_SECONDS}; fails (naming the thread and its stack) if it is still alive. */
  public static void joinOrFail(Thread t) throws InterruptedException {
    t.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
    if (t.isAlive()) {
      AssertionError e = new AssertionError(t.getName() + " still running after " + JOIN_SECONDS + " s");
      e.setStackTrace(t.getStackTrace());
      throw e;
    }
  }
}
