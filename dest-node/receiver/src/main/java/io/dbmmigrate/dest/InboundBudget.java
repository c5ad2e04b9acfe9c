package io.dbmmigrate.dest;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of heap for inbound buffers: bytes of messages received and not yet
 * handled, plus the working memory of open page streams (decompression buffer, record index).
 * Whatever traffic arrives, the sum reserved never exceeds {@link #capacityBytes()}: a reservation
 * that would pass it is refused, and the request gets RESOURCE_EXHAUSTED instead of the heap
 * filling up.
 *
 * <p>Concurrency: one atomic counter, reserved by CAS (never overshoots, not even transiently),
 * released by atomic add; the high-water mark is a CAS-max, for tests and reports.
 */
public final class InboundBudget {
  private final long capacityBytes;
  private final AtomicLong reserved = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();

  public InboundBudget(long capacityBytes) {
    if (capacityBytes <= 0) throw new IllegalArgumentException("capacity must be positive");
    this.capacityBytes = capacityBytes;
  }

  /** Half of the JVM's maximum heap: the default of --max-inflight-bytes. */
  public static long defaultCapacityBytes() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /** Reserves n bytes; false (and nothing reserved) when that would exceed the capacity. */
  public boolean tryReserve(long n) {
    if (n < 0) throw new IllegalArgumentException("negative reservation");
    while (true) {
      long now = reserved.get();
      if (n > capacityBytes - now) return false;
      if (reserved.compareAndSet(now, now + n)) {
        long after = now + n;
        long p;
        while (after > (p = peak.get()) && !peak.compareAndSet(p, after)) {}
        return true;
      }
    }
  }

  public void release(long n) {
    reserved.addAndGet(-n);
  }

  public long capacityBytes() {
    return capacityBytes;
  }

  public long reservedBytes() {
    return reserved.get();
  }

  /** The most ever reserved at once. */
  public long peakBytes() {
    return peak.get();
  }
}
