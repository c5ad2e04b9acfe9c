package io.dbmmigrate.hostmm;

import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.Stage2PageTable;
import io.dbmmigrate.util.SplitMix64;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Host memory-management events racing with the guest and the dirty-log scanner, each a Poisson
 * process at its configured rate: page aging (clear AF on a random 2 MiB range, as {@code
 * kvm_age_gfn}), unmap-then-remap of a random page (page migration, reclaim) and split of a random
 * 2 MiB block (THP split). The MMU keeps the dirty state across each (see {@link Stage2Mmu}).
 *
 * <p>Concurrency: one daemon thread; the counters are AtomicLongs read by anyone. {@link #close}
 * stops the thread and waits for it. Seeded: the same seed gives the same target sequence.
 */
public final class HostMmEvents implements AutoCloseable {
  private final Stage2Mmu mmu;
  private final MemorySlotSpec ram;
  private final double agingPerSec;
  private final double remapPerSec;
  private final double splitPerSec;
  private final SplitMix64 rng;
  private final AtomicLong agingEvents = new AtomicLong();
  private final AtomicLong remapEvents = new AtomicLong();
  private final AtomicLong splitEvents = new AtomicLong();
  private volatile boolean stop;
  private Thread thread;

  /**
   * @param agingPerSec page-aging events per second (0 = none)
   * @param remapPerSec unmap-then-remap events per second (0 = none)
   * @param splitPerSec block splits per second (0 = none)
   */
  public HostMmEvents(
      Stage2Mmu mmu, MemorySlotSpec ram, double agingPerSec, double remapPerSec,
      double splitPerSec, long seed) {
    this.mmu = mmu;
    this.ram = ram;
    this.agingPerSec = agingPerSec;
    this.remapPerSec = remapPerSec;
    this.splitPerSec = splitPerSec;
    this.rng = new SplitMix64(seed ^ 0x486F73744D4DL);
  }

  public synchronized void start() {
    if (thread != null || (agingPerSec == 0 && remapPerSec == 0 && splitPerSec == 0)) return;
    thread = new Thread(this::run, "host-mm");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long now = System.nanoTime();
    long nextAging = now + interval(agingPerSec);
    long nextRemap = now + interval(remapPerSec);
    long nextSplit = now + interval(splitPerSec);
    while (!stop) {
      now = System.nanoTime();
      long next = Math.min(nextAging, Math.min(nextRemap, nextSplit));
      if (next > now) {
        LockSupport.parkNanos(Math.min(next - now, 10_000_000L));
        continue;
      }
      // Catch up at most 10 ms of backlog, so a stall does not cause a storm.
      long floor = now - 10_000_000L;
      if (nextAging <= now) {
        age();
        nextAging = Math.max(nextAging, floor) + interval(agingPerSec);
      }
      if (nextRemap <= now) {
        mmu.unmapAndRemap(randomGfn());
        remapEvents.incrementAndGet();
        nextRemap = Math.max(nextRemap, floor) + interval(remapPerSec);
      }
      if (nextSplit <= now) {
        if (mmu.splitBlockAt(randomGfn())) splitEvents.incrementAndGet();
        nextSplit = Math.max(nextSplit, floor) + interval(splitPerSec);
      }
    }
  }

  private void age() {
    long start = randomGfn() & ~(long) (Stage2PageTable.ENTRIES - 1);
    start = Math.max(start, ram.baseGfn());
    long end = Math.min(start + Stage2PageTable.ENTRIES, ram.endGfn());
    mmu.mkOld(start, end);
    agingEvents.incrementAndGet();
  }

  private long randomGfn() {
    return ram.baseGfn() + rng.nextLong(ram.pageCount());
  }

  /** Exponential inter-arrival time in ns; "never" for rate 0. */
  private long interval(double perSec) {
    if (perSec <= 0) return Long.MAX_VALUE / 4;
    double u = 1.0 - rng.nextDouble();
    return Math.max(1, (long) (-Math.log(u) / perSec * 1e9));
  }

  public long agingEvents() {
    return agingEvents.get();
  }

  public long remapEvents() {
    return remapEvents.get();
  }

  public long splitEvents() {
    return splitEvents.get();
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
