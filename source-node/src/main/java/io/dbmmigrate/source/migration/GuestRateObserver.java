package io.dbmmigrate.source.migration;

import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.TimelineSample;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches the guest's write rate over a whole migration: "before" (the warm-up), "during" (the
 * pre-copy rounds), "after" (on the destination, through the session), and the sampled timeline
 * with phase labels in between. Owned by the controller thread; the sampler it starts runs on its
 * own thread (see {@link GuestWriteSampler} for that contract).
 */
public final class GuestRateObserver implements AutoCloseable {
  static final long SAMPLE_PERIOD_MILLIS = TimelineSample.SAMPLE_PERIOD_MILLIS;

  private final VirtualMachine vm;
  private final NanoClock clock;
  private final GuestWriteSampler sampler;
  private double before;
  private double during;
  private double after;
  private long roundsStartNanos;
  private long roundsStartStores;

  public GuestRateObserver(VirtualMachine vm, NanoClock clock) {
    this.vm = vm;
    this.clock = clock;
    this.sampler = new GuestWriteSampler(vm::storesRetired, clock, SAMPLE_PERIOD_MILLIS);
  }

  /**
   * Lets the (running) guest run for {@code warmupMillis}, measuring its write rate ("before").
   *
   * @return false when {@code cancelled} fired meanwhile
   */
  public boolean warmUp(long warmupMillis, CountDownLatch cancelled) throws InterruptedException {
    long t0 = clock.nanoTime();
    long s0 = vm.storesRetired();
    if (warmupMillis == 0) return true;
    if (cancelled.await(warmupMillis, TimeUnit.MILLISECONDS)) return false;
    before = rate(vm.storesRetired() - s0, clock.nanoTime() - t0);
    return true;
  }

  public void phase(String label) {
    sampler.setPhase(label);
  }

  public void roundsStarted() {
    roundsStartNanos = clock.nanoTime();
    roundsStartStores = vm.storesRetired();
  }

  public void roundsEnded() {
    during = rate(vm.storesRetired() - roundsStartStores, clock.nanoTime() - roundsStartNanos);
  }

  /** The source stops sampling (its guest no longer runs once committed). */
  public void stopSampling() {
    sampler.close();
  }

  /** Samples the destination's guest after resume for {@code millis}; sets "after". */
  public void observeAfter(TargetSession s, long millis) {
    if (millis <= 0) return;
    long end = clock.nanoTime() + millis * 1_000_000L;
    long firstNanos = 0;
    long firstStores = -1;
    long prevNanos = 0;
    long prevStores = -1;
    try {
      while (true) {
        OptionalLong stores = s.destinationStoresRetired();
        long now = clock.nanoTime();
        if (stores.isEmpty()) break;
        if (prevStores >= 0) {
          sampler.add(now, rate(stores.getAsLong() - prevStores, now - prevNanos), "after");
          after = rate(stores.getAsLong() - firstStores, now - firstNanos);
        } else {
          firstNanos = now;
          firstStores = stores.getAsLong();
        }
        prevNanos = now;
        prevStores = stores.getAsLong();
        if (now >= end) break;
        clock.sleepNanos(SAMPLE_PERIOD_MILLIS * 1_000_000L);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public double before() {
    return before;
  }

  public double during() {
    return during;
  }

  public double after() {
    return after;
  }

  public List<TimelineSample> timeline(long originNanos) {
    return sampler.timeline(originNanos);
  }

  @Override
  public void close() {
    sampler.close();
  }

  static double rate(double amount, long nanos) {
    return nanos <= 0 ? 0 : amount * 1e9 / nanos;
  }
}
