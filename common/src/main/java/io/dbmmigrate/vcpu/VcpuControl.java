package io.dbmmigrate.vcpu;

/**
 * Run/pause/close hand-off between the VM and its vCPU threads.
 *
 * <p>Concurrency: {@code state} is volatile and read by every vCPU before each store (fast path);
 * every transition and the parked count are guarded by this object's monitor. A vCPU that sees a
 * state other than RUNNING parks in {@link #awaitRunnable} (between two stores, never inside a store
 * window); {@link #pause} returns when every started vCPU has parked, so all their stores and
 * workload state happen-before the return (monitor hand-off). Throttle percent is volatile, read
 * racily by vCPUs. Throttle sleeps wait on this monitor too ({@link #throttleSleep}), and every
 * state change notifies it, so a pause or close ends them at once.
 */
public final class VcpuControl {
  private static final int RUNNING = 0;
  private static final int PAUSED = 1;
  private static final int CLOSED = 2;

  private volatile int state = PAUSED;
  private volatile int throttlePercent;
  private int started; // guarded by this
  private int parked; // guarded by this

  /** A vCPU thread is about to start (it will call {@link #awaitRunnable} first). */
  synchronized void registerStarted() {
    started++;
  }

  /** Blocks while paused. Returns false when the vCPU must exit. */
  boolean awaitRunnable() {
    if (state == RUNNING) return true;
    synchronized (this) {
      parked++;
      notifyAll();
      try {
        while (state == PAUSED) wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } finally {
        parked--;
      }
      return state == RUNNING;
    }
  }

  /** A vCPU thread ended (closing). */
  synchronized void exited() {
    started--;
    notifyAll();
  }

  public boolean isRunning() {
    return state == RUNNING;
  }

  public synchronized void resume() {
    if (state == CLOSED) throw new IllegalStateException("VM is closed");
    state = RUNNING;
    notifyAll();
  }

  /**
   * A throttled vCPU's sleep between two stores: returns after {@code nanos}, or as soon as the VM
   * stops running (pause or close notify this monitor), so that {@link #pause} never waits for a
   * throttle sleep to run out.
   */
  void throttleSleep(long nanos) {
    final long deadline = System.nanoTime() + nanos;
    synchronized (this) {
      long left = nanos;
      while (state == RUNNING && left > 0) {
        try {
          java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        left = deadline - System.nanoTime();
      }
    }
  }

  /** Returns when no started vCPU runs (all parked between stores). */
  public synchronized void pause() {
    if (state == CLOSED) return;
    state = PAUSED;
    notifyAll(); // wakes vCPUs in a throttle sleep, so that they park at once
    boolean interrupted = false;
    while (parked < started) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  public synchronized void close() {
    state = CLOSED;
    notifyAll();
  }

  public void setThrottlePercent(int percent) {
    if (percent < 0 || percent > 99) throw new IllegalArgumentException("throttle must be 0..99 percent");
    throttlePercent = percent;
  }

  int throttlePercent() {
    return throttlePercent;
  }
}
