package io.dbmmigrate.dest;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about client misbehaviour, at most {@value #LINES_PER_SECOND} lines a second (a token
 * bucket of that many tokens, refilled continuously); suppressed lines are counted and the count is
 * reported on the next line that passes. Never a stack trace: a hostile client must not be able to
 * buy log volume.
 *
 * <p>Concurrency: synchronized; called once per refused call, not per message.
 */
final class RateLimitedLog {
  static final int LINES_PER_SECOND = 20;
  private static final long NANOS_PER_TOKEN = TimeUnit.SECONDS.toNanos(1) / LINES_PER_SECOND;

  private final Logger log;
  private final LongSupplier nanoClock;
  private long tokensAtNanos;
  private double tokens = LINES_PER_SECOND;
  private long suppressed;

  RateLimitedLog(Logger log, LongSupplier nanoClock) {
    this.log = log;
    this.nanoClock = nanoClock;
    this.tokensAtNanos = nanoClock.getAsLong();
  }

  /** Logs the line (slf4j format) unless over the rate; arguments must be sanitized already. */
  void warn(String format, Object... args) {
    long sup;
    synchronized (this) {
      long now = nanoClock.getAsLong();
      tokens = Math.min(LINES_PER_SECOND, tokens + (double) (now - tokensAtNanos) / NANOS_PER_TOKEN);
      tokensAtNanos = now;
      if (tokens < 1) {
        suppressed++;
        return;
      }
      tokens -= 1;
      sup = suppressed;
      suppressed = 0;
    }
    if (sup > 0) log.warn("({} similar warnings suppressed)", sup);
    log.warn(format, args);
  }

  synchronized long suppressed() {
    return suppressed;
  }
}
