package io.dbmmigrate.net.relay;

/**
 * Serialization delay of a shared link of a given rate: each chunk reserves the interval the link
 * needs to carry it, after the previous reservation ends. Shared by every connection's pump of one
 * direction, so N connections share the rate like flows on one link.
 *
 * <p>Concurrency: {@link #reserve} is synchronized ({@code nextFreeNanos} is guarded by this);
 * the rate is volatile and may change at any time (a chunk reserved at the old rate keeps it).
 */
final class LinkPacer {
  private volatile long bytesPerSec;
  private long nextFreeNanos = Long.MIN_VALUE;

  LinkPacer(long bytesPerSec) {
    setRate(bytesPerSec);
  }

  void setRate(long newBytesPerSec) {
    if (newBytesPerSec < 0) throw new IllegalArgumentException("rate must be >= 0 (0 = unlimited)");
    this.bytesPerSec = newBytesPerSec;
  }

  long rateBytesPerSec() {
    return bytesPerSec;
  }

  /**
   * Reserves the link for {@code bytes} starting no earlier than {@code nowNanos}.
   *
   * @return when the last byte has been serialized (nowNanos when the rate is unlimited)
   */
  synchronized long reserve(long nowNanos, int bytes) {
    final long rate = bytesPerSec;
    if (rate == 0) return nowNanos;
    long start = nextFreeNanos == Long.MIN_VALUE || nextFreeNanos - nowNanos < 0 ? nowNanos : nextFreeNanos;
    long end = start + (long) Math.ceil(bytes * 1e9 / rate);
    nextFreeNanos = end;
    return end;
  }
}
