package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.RateLimiter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The parameters a running migration lets the control API change: bandwidth cap, downtime limit,
 * round limit.
 *
 * <p>Concurrency contract: any thread may set; the controller reads once per round. Each value is
 * an independent atomic (setRelease/getAcquire semantics of the Atomic* classes); a reader may see
 * a new downtime limit with an old round limit, which is harmless because each is checked on its
 * own. The bandwidth cap is applied to the shared {@link RateLimiter} immediately.
 */
public final class LiveParameters {
  private final AtomicLong downtimeLimitMillis;
  private final AtomicInteger maxRounds;
  private final RateLimiter limiter;

  public LiveParameters(MigrationSettings initial, RateLimiter limiter) {
    this.downtimeLimitMillis = new AtomicLong(initial.downtimeLimitMillis());
    this.maxRounds = new AtomicInteger(initial.maxRounds());
    this.limiter = limiter;
  }

  public long downtimeLimitMillis() {
    return downtimeLimitMillis.get();
  }

  public int maxRounds() {
    return maxRounds.get();
  }

  public long maxBandwidthBytesPerSec() {
    return limiter.rate();
  }

  public RateLimiter limiter() {
    return limiter;
  }

  public void setDowntimeLimitMillis(long millis) {
    if (millis < 1) throw new IllegalArgumentException("downtime limit must be >= 1 ms");
    downtimeLimitMillis.set(millis);
  }

  public void setMaxRounds(int rounds) {
    if (rounds < 1 || rounds > 10_000)
      throw new IllegalArgumentException("max rounds must be 1..10000, not " + rounds);
    maxRounds.set(rounds);
  }

  public void setMaxBandwidthBytesPerSec(long bytesPerSec) {
    limiter.setRate(bytesPerSec);
  }

  /** The settings with the live values substituted (for the report and status). */
  public MigrationSettings applyTo(MigrationSettings s) {
    return new MigrationSettings(
        s.dirtyLog(), s.switchPolicy(), downtimeLimitMillis(), maxRounds(), s.onNoConvergence(),
        s.streams(), s.batchBytes(), s.compress(), maxBandwidthBytesPerSec(), s.scanThreads(),
        s.scanChunkBytes(), s.verifyOnly(), s.testCorruptGfn(), s.warmupMillis(),
        s.observeAfterMillis(), s.rpcTimeoutMillis(), s.streamStallMillis(), s.verify());
  }
}
