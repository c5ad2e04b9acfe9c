package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.TimelineSample;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Samples guest write throughput every {@code periodMillis} into a timeline, labelled with the
 * current phase ("warmup", "setup", "full", "hw", "sw", "paused", "commit", and "after" for samples
 * the controller adds from the destination).
 *
 * <p>Concurrency contract: {@link #setPhase} writes a volatile field that the sampler thread reads
 * (a sample taken while the label changes may carry the previous label: tolerated, the next one is
 * right). The sample list is guarded by {@code this}. {@code lastStores}/{@code lastNanos} belong
 * to the sampler thread alone.
 */
public final class GuestWriteSampler implements AutoCloseable {
  private record Raw(long nanos, double writesPerSec, String phase) {}

  private final LongSupplier storesRetired;
  private final NanoClock clock;
  private final ScheduledExecutorService scheduler;
  private final List<Raw> samples = new ArrayList<>();
  private volatile String phase = "warmup";
  private long lastStores;
  private long lastNanos;

  public GuestWriteSampler(LongSupplier storesRetired, NanoClock clock, long periodMillis) {
    this.storesRetired = storesRetired;
    this.clock = clock;
    this.lastStores = storesRetired.getAsLong();
    this.lastNanos = clock.nanoTime();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "guest-write-sampler");
              t.setDaemon(true);
              return t;
            });
    scheduler.scheduleAtFixedRate(this::sample, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  public void setPhase(String label) {
    phase = label;
  }

  private void sample() {
    long now = clock.nanoTime();
    long stores = storesRetired.getAsLong();
    long dt = now - lastNanos;
    if (dt <= 0) return;
    double rate = (stores - lastStores) * 1e9 / dt;
    lastStores = stores;
    lastNanos = now;
    add(now, rate, phase);
  }

  /** Appends a sample measured elsewhere (e.g. on the destination after resume). */
  public synchronized void add(long atNanos, double writesPerSec, String label) {
    samples.add(new Raw(atNanos, writesPerSec, label));
  }

  /** The samples so far, in time order, with times relative to {@code originNanos}. */
  public synchronized List<TimelineSample> timeline(long originNanos) {
    List<TimelineSample> out = new ArrayList<>(samples.size());
    for (Raw r : samples)
      out.add(new TimelineSample((r.nanos - originNanos) / 1e6, r.writesPerSec, r.phase));
    out.sort(java.util.Comparator.comparingDouble(TimelineSample::tMillis));
    return out;
  }

  /** Stops sampling (idempotent); samples taken so far stay available. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
