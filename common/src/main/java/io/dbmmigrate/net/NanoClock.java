package io.dbmmigrate.net;

/**
 * A monotonic clock that can also sleep, injectable so that time-dependent logic (rate limiting,
 * watchdogs) is testable without real waiting.
 */
public interface NanoClock {
  /** Monotonic time in nanoseconds (origin arbitrary). */
  long nanoTime();

  /** Sleeps about {@code nanos} (a fake clock advances its time instead). */
  void sleepNanos(long nanos) throws InterruptedException;

  /** The JVM's {@link System#nanoTime()} and {@link Thread#sleep}. */
  static NanoClock system() {
    return SystemNanoClock.INSTANCE;
  }
}
