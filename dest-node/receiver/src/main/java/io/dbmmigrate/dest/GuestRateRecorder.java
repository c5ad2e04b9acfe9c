package io.dbmmigrate.dest;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples the guest's write rate on this node after a post-copy resume, for the source's lost work
 * (target.proto {@code CompletePostcopyResponse.guest_rate}): one sample per period from resume,
 * and a last, shorter one when {@link #stop} is called at CompletePostcopy (so the samples cover
 * resume → last page → the answer, a short tail after the last page).
 *
 * <p>Concurrency contract: the sampler thread and {@link #stop} both sample under {@code this};
 * {@link #stop} first shuts the sampler down, so no tick runs after its final sample. Bounded: at
 * most {@link #MAX_SAMPLES} (sampling stops there and the result says so), as a post-copy whose
 * source vanished keeps its session, and this recorder, forever.
 */
final class GuestRateRecorder {
  /** One hour at 100 ms. */
  static final int MAX_SAMPLES = 36_000;

  /** The samples: period ends in microseconds after resume, rates in stores per second. */
  record Samples(long[] endMicros, double[] storesPerSec, boolean truncated) {}

  private final LongSupplier storesRetired;
  private final LongSupplier nanoClock;
  private final long resumeNanos;
  private final ScheduledExecutorService scheduler;
  // guarded by this
  private long[] endMicros = new long[64];
  private double[] rates = new double[64];
  private int count;
  private long lastNanos;
  private long lastStores;
  private boolean stopped;

  private GuestRateRecorder(LongSupplier storesRetired, LongSupplier nanoClock, long periodMillis, boolean schedule) {
    this.storesRetired = storesRetired;
    this.nanoClock = nanoClock;
    this.lastStores = storesRetired.getAsLong();
    this.resumeNanos = nanoClock.getAsLong();
    this.lastNanos = resumeNanos;
    if (!schedule) {
      scheduler = null;
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "postcopy-guest-rate");
              t.setDaemon(true);
              return t;
            });
    scheduler.scheduleAtFixedRate(this::sample, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts sampling now: call it right before the VM resumes (the stores retired so far are the
   * restored count, the baseline of the first sample).
   */
  static GuestRateRecorder start(LongSupplier storesRetired, LongSupplier nanoClock, long periodMillis) {
    return new GuestRateRecorder(storesRetired, nanoClock, periodMillis, true);
  }

  /** Without a sampler thread: only {@link #sample} calls take samples (tests). */
  static GuestRateRecorder manual(LongSupplier storesRetired, LongSupplier nanoClock) {
    return new GuestRateRecorder(storesRetired, nanoClock, 0, false);
  }

  /** Takes one sample: the rate since the previous one (skipped when no time passed). */
  synchronized void sample() {
    if (stopped || count == MAX_SAMPLES) return;
    long now = nanoClock.getAsLong();
    long stores = storesRetired.getAsLong();
    long dt = now - lastNanos;
    if (dt <= 0) return;
    if (count == endMicros.length) {
      endMicros = java.util.Arrays.copyOf(endMicros, Math.min(MAX_SAMPLES, 2 * count));
      rates = java.util.Arrays.copyOf(rates, endMicros.length);
    }
    endMicros[count] = (now - resumeNanos) / 1000;
    rates[count] = (stores - lastStores) * 1e9 / dt;
    count++;
    lastNanos = now;
    lastStores = stores;
  }

  /** Stops sampling after a last sample up to now; idempotent (later calls return the same). */
  Samples stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      if (!stopped) sample();
      stopped = true;
      return new Samples(
          java.util.Arrays.copyOf(endMicros, count), java.util.Arrays.copyOf(rates, count), count == MAX_SAMPLES);
    }
  }
}
