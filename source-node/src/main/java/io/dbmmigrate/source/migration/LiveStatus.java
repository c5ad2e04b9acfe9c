package io.dbmmigrate.source.migration;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The statistics a QEMU user reads from {@code query-migrate}, kept current while a migration runs
 * and read by the control API's status call and the Prometheus endpoint (issue 15 item 5).
 *
 * <p>Concurrency contract: the controller thread writes every field except {@code bytesSent}, which
 * the page streams add to; any thread reads. Each field is independent (volatile, or an atomic):
 * a reader may combine one round's remaining pages with the next round's throughput, which a
 * monitoring view tolerates; nothing decides on these values.
 */
public final class LiveStatus {
  private final AtomicLong bytesSent = new AtomicLong();
  private volatile int round;
  private volatile long startNanos;
  private volatile double setupMillis;
  private volatile double expectedDowntimeMillis = Double.NaN;
  private volatile double downtimeMillis = Double.NaN;
  private volatile long pagesSent;
  private volatile long zeroPages;
  private volatile long remainingPages = -1;
  private volatile double dirtyPagesRate;
  private volatile double throughputBytesPerSec;
  private volatile long dirtySyncCount;

  /** One consistent-enough copy for a reader (see the class comment). */
  public record Snapshot(
      int round,
      double totalMillis,
      double setupMillis,
      double expectedDowntimeMillis,
      double downtimeMillis,
      long bytesSent,
      long pagesSent,
      long zeroPages,
      long normalPages,
      long remainingPages,
      double dirtyPagesRate,
      double throughputBytesPerSec,
      long dirtySyncCount) {}

  public Snapshot snapshot(long nowNanos) {
    long start = startNanos;
    long pages = pagesSent;
    long zero = zeroPages;
    return new Snapshot(
        round,
        start == 0 ? 0 : (nowNanos - start) / 1e6,
        setupMillis,
        expectedDowntimeMillis,
        downtimeMillis,
        bytesSent.get(),
        pages,
        zero,
        pages - zero,
        remainingPages,
        dirtyPagesRate,
        throughputBytesPerSec,
        dirtySyncCount);
  }

  public int round() {
    return round;
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  void round(int r) {
    round = r;
  }

  long addBytesSent(long wireBytes) {
    return bytesSent.addAndGet(wireBytes);
  }

  void started(long nanos) {
    startNanos = nanos;
  }

  void setupDone(double millis) {
    setupMillis = millis;
  }

  /** After each round: totals, the latest rates and estimate. */
  void roundDone(
      long roundPages, long roundZeroPages, boolean synced, long remaining, double expectedDowntime,
      double dirtyRate, double throughput) {
    pagesSent += roundPages;
    zeroPages += roundZeroPages;
    if (synced) dirtySyncCount++;
    remainingPages = remaining;
    if (expectedDowntime >= 0) expectedDowntimeMillis = expectedDowntime;
    dirtyPagesRate = dirtyRate;
    throughputBytesPerSec = throughput;
  }

  void downtime(double millis) {
    downtimeMillis = millis;
  }
}
