package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.NanoClock;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when told (sleeping advances it); thread-safe. */
final class FakeClock implements NanoClock {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Override
  public long nanoTime() {
    return now.get();
  }

  @Override
  public void sleepNanos(long nanos) {
    advance(nanos);
  }

  void advance(long nanos) {
    now.addAndGet(nanos);
  }
}
