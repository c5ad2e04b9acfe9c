package io.dbmmigrate.net.relay;

import java.util.function.BooleanSupplier;

/**
 * Lets writers pass only while the link is not stalled. A stalled relay still accepts connections
 * and reads until its queues are full, but forwards nothing: to both ends it looks like a link
 * that silently stopped delivering (a partition without a reset).
 *
 * <p>Concurrency: {@code stalled} is guarded by this object's monitor; {@link #set} notifies every
 * waiter. Waiters also wake every 100 ms to check their own cancellation (connection closed).
 */
final class StallGate {
  private boolean stalled;

  synchronized void set(boolean newStalled) {
    stalled = newStalled;
    notifyAll();
  }

  synchronized boolean isStalled() {
    return stalled;
  }

  /**
   * Waits while stalled.
   *
   * @return false when {@code cancelled} became true first
   */
  synchronized boolean awaitOpen(BooleanSupplier cancelled) throws InterruptedException {
    while (stalled) {
      if (cancelled.getAsBoolean()) return false;
      wait(100);
    }
    return !cancelled.getAsBoolean();
  }
}
