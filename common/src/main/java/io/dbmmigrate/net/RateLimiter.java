package io.dbmmigrate.net;

import java.util.function.BooleanSupplier;

/**
 * Token bucket capping a byte rate (QEMU's {@code max-bandwidth}), shared by all page streams of one
 * migration.
 *
 * <p>Semantics: tokens accrue at {@code bytesPerSec} up to a burst of {@code burstMillis} worth of
 * bytes; the bucket starts empty, so a run never gets a free head start. {@link #acquire} waits until
 * the bucket is not in debt, then takes all the bytes at once (the bucket may go negative by up to
 * one batch: a batch larger than the burst is still admitted, and the debt delays the next caller).
 * Over any run longer than a few batches the average rate is therefore at most {@code bytesPerSec}
 * plus one burst. A rate of 0 means unlimited.
 *
 * <p>Concurrency contract: every field is guarded by {@code this}; {@link #acquire} holds the monitor
 * only to refill and debit, never while sleeping. {@link #setRate} may be called from any thread at
 * any time; a caller already sleeping re-checks after at most {@code maxSleepSliceNanos}, so a new
 * rate takes effect within one slice.
 */
public final class RateLimiter {
  /** Longest single sleep, so that a rate change applies quickly. */
  private static final long MAX_SLEEP_SLICE_NANOS = 20_000_000L;

  private static final long DEFAULT_BURST_MILLIS = 50;

  private final NanoClock clock;
  private final long burstMillis;

  private long bytesPerSec; // guarded by this; 0 = unlimited
  private double tokens; // guarded by this; bytes, may be negative (debt)
  private long lastRefillNanos; // guarded by this

  public RateLimiter(long bytesPerSec, NanoClock clock) {
    this(bytesPerSec, DEFAULT_BURST_MILLIS, clock);
  }

  public RateLimiter(long bytesPerSec, long burstMillis, NanoClock clock) {
    if (bytesPerSec < 0) throw new IllegalArgumentException("bytesPerSec must be >= 0");
    if (burstMillis < 1) throw new IllegalArgumentException("burstMillis must be >= 1");
    this.clock = clock;
    this.burstMillis = burstMillis;
    this.bytesPerSec = bytesPerSec;
    this.lastRefillNanos = clock.nanoTime();
  }

  /** The current cap in bytes per second, 0 = unlimited. */
  public synchronized long rate() {
    return bytesPerSec;
  }

  /** Changes the cap (0 = unlimited); tokens earned so far at the old rate are kept. */
  public synchronized void setRate(long newBytesPerSec) {
    if (newBytesPerSec < 0) throw new IllegalArgumentException("bytesPerSec must be >= 0");
    refill(clock.nanoTime());
    bytesPerSec = newBytesPerSec;
    if (newBytesPerSec == 0) tokens = 0;
    else tokens = Math.min(tokens, burstBytes());
  }

  /**
   * Waits until {@code bytes} may be sent under the cap, then debits them.
   *
   * @throws InterruptedException when interrupted while waiting (nothing is debited then)
   */
  public void acquire(long bytes) throws InterruptedException {
    acquire(bytes, () -> false);
  }

  /**
   * Like {@link #acquire(long)}, but gives up (debiting nothing) as soon as {@code abandon} says so;
   * it is checked at least every slice while waiting.
   *
   * @return true when the bytes were debited, false when abandoned
   */
  public boolean acquire(long bytes, BooleanSupplier abandon) throws InterruptedException {
    while (true) {
      if (abandon.getAsBoolean()) return false;
      long waitNanos = tryAcquire(bytes);
      if (waitNanos == 0) return true;
      clock.sleepNanos(Math.min(waitNanos, MAX_SLEEP_SLICE_NANOS));
    }
  }

  /**
   * Non-blocking form of {@link #acquire}: debits and returns 0 when the bucket is not in debt;
   * otherwise debits nothing and returns the nanoseconds until it will not be (at the current rate).
   */
  public synchronized long tryAcquire(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0");
    if (bytesPerSec == 0) return 0;
    refill(clock.nanoTime());
    if (tokens >= 0) {
      tokens -= bytes;
      return 0;
    }
    return Math.max(1, (long) Math.ceil(-tokens * 1e9 / bytesPerSec));
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastRefillNanos;
    lastRefillNanos = nowNanos;
    if (bytesPerSec == 0 || elapsed <= 0) return;
    tokens = Math.min(burstBytes(), tokens + elapsed * (bytesPerSec / 1e9));
  }

  private double burstBytes() {
    return bytesPerSec * (burstMillis / 1000.0);
  }
}
