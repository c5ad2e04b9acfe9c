package io.dbmmigrate.machine;

import io.dbmmigrate.dirty.Stage2DirtyLog;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.util.SplitMix64;
import io.dbmmigrate.vcpu.StorePattern;
import io.dbmmigrate.vcpu.VcpuControl;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated device that writes guest RAM directly, as a virtio back end does for a receive queue
 * (DMA): no stage-2 translation, so no fault, no DBM, no ring entry, nothing any dirty-log mode's
 * hardware or fault path would see. Each write is one page (8 real bytes of it, like a vCPU store)
 * at a random RAM page, at {@code rateMbps} MB/s, recorded in the dirty log's device bitmap
 * ({@link Stage2DirtyLog#dmaWrite}); every mode merges that bitmap at every sync.
 *
 * <p>Concurrency: one daemon thread. It writes only while the VM runs: the running check is inside
 * the DMA section, and {@link SimulatedVm#pause} waits on {@link Stage2DirtyLog#dmaBarrier}, so no
 * DMA lands after a pause returns. {@code writes} is written by the thread, read by anyone.
 */
public final class DmaDevice implements AutoCloseable {
  private final ChunkedGuestMemory memory;
  private final Stage2DirtyLog log;
  private final MemorySlotSpec ram;
  private final VcpuControl control;
  private final StorePattern pattern;
  private final int deviceId;
  private final long nanosPerWrite;
  private final SplitMix64 rng;
  private final AtomicLong writes = new AtomicLong();
  private volatile boolean stop;
  private Thread thread;
  // The current write, for the allocation-free store callback (device thread only).
  private long gfn;
  private long seq;

  /**
   * @param deviceId the "vCPU index" the store pattern sees (the vCPU count: distinct from vCPUs)
   */
  DmaDevice(
      ChunkedGuestMemory memory, Stage2DirtyLog log, MemorySlotSpec ram, VcpuControl control,
      StorePattern pattern, int deviceId, double rateMbps, long seed) {
    if (!(rateMbps > 0)) throw new IllegalArgumentException("device write rate must be > 0 MB/s");
    this.memory = memory;
    this.log = log;
    this.ram = ram;
    this.control = control;
    this.pattern = pattern;
    this.deviceId = deviceId;
    this.nanosPerWrite = Math.max(1, (long) (GuestMemory.PAGE_SIZE * 1e3 / rateMbps));
    this.rng = new SplitMix64(seed ^ 0x444D41L);
  }

  synchronized void start() {
    if (thread != null) return;
    thread = new Thread(this::run, "dma-device");
    thread.setDaemon(true);
    thread.start();
  }

  private final java.util.function.BooleanSupplier store = this::storeIfRunning;

  private boolean storeIfRunning() {
    if (!control.isRunning()) return false;
    int offset = pattern.offsetOf(deviceId, gfn, seq);
    memory.storeLong(gfn, offset, pattern.valueAt(deviceId, gfn, seq));
    return true;
  }

  private void run() {
    long next = System.nanoTime();
    while (!stop) {
      long now = System.nanoTime();
      if (next > now) {
        LockSupport.parkNanos(Math.min(next - now, 1_000_000L));
        continue;
      }
      next = Math.max(next, now - 10_000_000L) + nanosPerWrite; // at most 10 ms of backlog
      if (!control.isRunning()) {
        LockSupport.parkNanos(1_000_000L);
        continue;
      }
      gfn = ram.baseGfn() + rng.nextLong(ram.pageCount());
      if (log.dmaWrite(gfn, store)) {
        seq++;
        writes.lazySet(seq);
      }
    }
  }

  /** Pages written so far. */
  public long writes() {
    return writes.get();
  }

  @Override
  public void close() {
    stop = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t == null) return;
    LockSupport.unpark(t);
    boolean interrupted = false;
    while (t.isAlive()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }
}
