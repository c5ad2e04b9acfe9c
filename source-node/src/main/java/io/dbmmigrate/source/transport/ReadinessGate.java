package io.dbmmigrate.source.transport;

import io.grpc.stub.ClientCallStreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Flow control and progress watchdog of one page stream: the sender thread waits here until its
 * gRPC call can take another message ({@code isReady}), and fails when the call broke or made no
 * progress for the stall timeout.
 *
 * <p>Concurrency contract: gRPC's threads call {@link #signal} (the call's onReady handler) and
 * {@link #fail} (its onError); both only take the lock to signal, never wait. The sender thread is
 * the only caller of {@link #awaitReady}; it checks {@code isReady()} and waits under the same lock,
 * so a signal cannot fall between its check and its wait. Waits are additionally bounded by a short
 * slice, so even a missed signal only delays, never hangs.
 */
final class ReadinessGate {
  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private Throwable failure; // guarded by lock

  /** The call became ready (gRPC thread). */
  void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The call failed (gRPC thread); the first failure wins. */
  void fail(Throwable t) {
    lock.lock();
    try {
      if (failure == null) failure = t;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns when {@code call.isReady()}.
   *
   * @throws StreamFailedException when the call failed, or it was not ready for {@code stallNanos}
   */
  void awaitReady(ClientCallStreamObserver<?> call, long stallNanos)
      throws StreamFailedException, InterruptedException {
    final long deadline = System.nanoTime() + stallNanos;
    lock.lock();
    try {
      while (true) {
        if (failure != null)
          throw new StreamFailedException("stream failed: " + GrpcErrors.describe(failure), failure);
        if (call.isReady()) return;
        long left = deadline - System.nanoTime();
        if (left <= 0)
          throw new StreamFailedException(
              "stream stalled: not ready for "
                  + TimeUnit.NANOSECONDS.toMillis(stallNanos)
                  + " ms (destination not reading?)",
              null);
        changed.awaitNanos(Math.min(left, SLICE_NANOS));
      }
    } finally {
      lock.unlock();
    }
  }
}
