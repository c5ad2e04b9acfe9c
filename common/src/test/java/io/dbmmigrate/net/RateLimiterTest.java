package io.dbmmigrate.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
  /** A clock whose sleeps advance its time exactly; single-threaded. */
  static final class FakeClock implements NanoClock {
    long now = 1_000_000_000L;
    long slept;

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleepNanos(long nanos) {
      now += nanos;
      slept += nanos;
    }
  }

  @Test
  void averageRateMatchesTheCapOverManyBatches() throws InterruptedException {
    FakeClock clock = new FakeClock();
    long rate = 10_000_000; // 10 MB/s
    RateLimiter limiter = new RateLimiter(rate, clock);
    long batch = 1 << 20;
    int batches = 100;
    long start = clock.nanoTime();
    for (int i = 0; i < batches; i++) limiter.acquire(batch);
    double seconds = (clock.nanoTime() - start) / 1e9;
    // The last batch is admitted on credit: the first n-1 batches were paid for in time.
    assertThat(seconds).isCloseTo((batches - 1) * (double) batch / rate, within(0.01));
  }

  @Test
  void unlimitedNeverSleeps() throws InterruptedException {
    FakeClock clock = new FakeClock();
    RateLimiter limiter = new RateLimiter(0, clock);
    for (int i = 0; i < 1000; i++) limiter.acquire(1 << 20);
    assertThat(clock.slept).isZero();
  }

  @Test
  void idleTimeEarnsAtMostOneBurst() throws InterruptedException {
    FakeClock clock = new FakeClock();
    RateLimiter limiter = new RateLimiter(1_000_000, 50, clock);
    clock.now += 10_000_000_000L; // idle 10 s
    long start = clock.nanoTime();
    for (int i = 0; i < 11; i++) limiter.acquire(100_000);
    // 1.1 MB with a 50 KB burst and one batch of credit: at least 0.95 s of waiting.
    assertThat((clock.nanoTime() - start) / 1e9).isCloseTo(0.95, within(0.001));
  }

  @Test
  void rateChangeTakesEffectForLaterBatches() throws InterruptedException {
    FakeClock clock = new FakeClock();
    RateLimiter limiter = new RateLimiter(1_000_000, clock);
    limiter.acquire(1_000_000); // debt of 1 s at 1 MB/s
    limiter.setRate(10_000_000);
    long start = clock.nanoTime();
    limiter.acquire(1_000_000);
    // The debt is now repaid at 10 MB/s: 0.1 s instead of 1 s.
    assertThat((clock.nanoTime() - start) / 1e9).isCloseTo(0.1, within(0.021));
  }

  @Test
  void tryAcquireReportsTheWaitWithoutDebiting() {
    FakeClock clock = new FakeClock();
    RateLimiter limiter = new RateLimiter(1_000_000, clock);
    assertThat(limiter.tryAcquire(500_000)).isZero();
    long wait = limiter.tryAcquire(1);
    assertThat(wait).isEqualTo(500_000_000L);
    assertThat(limiter.tryAcquire(1)).isEqualTo(wait); // nothing was debited
  }

  @Test
  void rejectsNegativeValues() {
    FakeClock clock = new FakeClock();
    assertThatThrownBy(() -> new RateLimiter(-1, clock)).isInstanceOf(IllegalArgumentException.class);
    RateLimiter limiter = new RateLimiter(1, clock);
    assertThatThrownBy(() -> limiter.setRate(-5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anAbandonedWaitDebitsNothing() throws InterruptedException {
    FakeClock clock = new FakeClock();
    RateLimiter limiter = new RateLimiter(1_000_000, clock);
    limiter.acquire(1_000_000); // 1 s of debt
    int[] checks = {0};
    boolean got = limiter.acquire(1, () -> ++checks[0] > 3);
    assertThat(got).isFalse();
    assertThat(clock.slept).isLessThan(1_000_000_000L); // gave up before the debt was repaid
    assertThat(limiter.tryAcquire(1)).isPositive(); // and the debt is what it was, minus time passed
  }
}
