package io.dbmmigrate.util;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny PRNG whose whole state is one long, so a workload's
 * position in its random stream can be captured and restored exactly. Not thread-safe: owned by one
 * vCPU.
 */
public final class SplitMix64 {
  private long state;

  public SplitMix64(long seed) {
    this.state = seed;
  }

  public long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, bound), bound > 0. */
  public long nextLong(long bound) {
    return Long.remainderUnsigned(nextLong(), bound);
  }

  /** Uniform in [0, 1). */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  public long state() {
    return state;
  }

  public void setState(long s) {
    this.state = s;
  }
}
