package io.dbmmigrate.source.migration;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What status queries read while a migration runs (the control API's status call). Written by the
 * controller thread (round) and the page streams (bytes); read by any thread. Each value is
 * independent (volatile / atomic); a reader may see a new round with the previous round's bytes.
 */
public final class LiveStatus {
  private volatile int round;
  private final AtomicLong bytesSent = new AtomicLong();

  public int round() {
    return round;
  }

  void round(int r) {
    round = r;
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  long addBytesSent(long wireBytes) {
    return bytesSent.addAndGet(wireBytes);
  }
}
