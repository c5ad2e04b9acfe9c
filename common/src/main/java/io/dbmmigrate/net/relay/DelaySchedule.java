package io.dbmmigrate.net.relay;

import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Release times of the chunks of one relay direction: {@code arrival + delay + jitter sample}, the
 * sample uniform in {@code [-jitter, +jitter]}, never earlier than the arrival and never earlier than
 * the previous chunk's release (a TCP byte stream cannot be reordered, so a chunk whose sample is
 * smaller than its predecessor's waits for it, as netem does with {@code rate}).
 *
 * <p>The delay is a timestamp per chunk, not a sleep per chunk: the reader stamps and enqueues
 * without waiting, so any number of chunks are in flight at once and the delay does not limit
 * bandwidth.
 *
 * <p>Concurrency: {@link #releaseAtNanos} is called by the one reader thread of the direction and
 * owns {@code lastReleaseNanos} and the random source. The setting comes from a supplier that the
 * relay backs with a volatile field holding one immutable {@link Setting}, changed from any thread
 * (a chunk stamped while the setting changes uses either the old or the new one, both are fine).
 */
final class DelaySchedule {
  /** One-way delay and jitter, in nanoseconds. */
  record Setting(long delayNanos, long jitterNanos) {
    Setting {
      if (delayNanos < 0 || jitterNanos < 0)
        throw new IllegalArgumentException("delay and jitter must be >= 0");
    }
  }

  private final Supplier<Setting> setting;
  private final SplittableRandom random;
  private long lastReleaseNanos = Long.MIN_VALUE;

  DelaySchedule(Supplier<Setting> setting, long seed) {
    this.setting = setting;
    this.random = new SplittableRandom(seed);
  }

  /** When a chunk that arrived at {@code arrivalNanos} may leave. Reader thread only. */
  long releaseAtNanos(long arrivalNanos) {
    final Setting s = setting.get();
    long delay = s.delayNanos();
    if (s.jitterNanos() > 0) {
      delay += random.nextLong(-s.jitterNanos(), s.jitterNanos() + 1);
      if (delay < 0) delay = 0;
    }
    long release = arrivalNanos + delay;
    if (lastReleaseNanos != Long.MIN_VALUE && release - lastReleaseNanos < 0) release = lastReleaseNanos;
    lastReleaseNanos = release;
    return release;
  }
}
