package io.dbmmigrate.net;

/** The real clock; stateless. */
enum SystemNanoClock implements NanoClock {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void sleepNanos(long nanos) throws InterruptedException {
    if (nanos <= 0) return;
    Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
  }
}
