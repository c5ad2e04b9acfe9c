package io.dbmmigrate.vcpu;

import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One vCPU: a thread running its workload through the stage-2 MMU, paced by the workload's rate,
 * paying the cost model's debt, throttled on request.
 *
 * <p>Concurrency: the loop's fields (workload, pc, regs, pacing) are confined to the vCPU thread
 * while it runs; {@link #capture} and {@link #restore} touch them only while the VM is paused
 * ({@link VcpuControl#pause} gives the happens-before both ways). {@code storesRetired} and {@code
 * pacingSleeps} each have a single writer (this thread, lazySet) and any number of readers.
 */
public final class Vcpu implements Runnable {
  public static final int REGISTERS = 31;
  static final long PC_BASE = 0x4008_0000L;
  private static final long DEBT_PARK_THRESHOLD_NANOS = 50_000;
  private static final long MAX_BURST_NANOS = 1_000_000;
  /**
   * The shortest pacing sleep. A vCPU whose next store is not yet due sleeps at least this long and
   * then retires the stores that fell due meanwhile back to back, so a rate-limited guest wakes at
   * most 1 / this often (2,000 times a second) instead of once per store (12,207 times a second per
   * vCPU at 50 MB/s). Each wake-up is a futex sleep and a timer interrupt of the host that
   * simulates the guest, not work of the guest: at one per store, the two vCPUs of the default
   * workload took 18 % of this 2-core machine's CPU in round 0. The rate over any window longer
   * than this is unchanged; it stays well below {@link #MAX_BURST_NANOS}, so an ordinary
   * oversleep does not drop the stores that fell due.
   */
  static final long PACING_QUANTUM_NANOS = 500_000;
  private static final long THROTTLE_PERIOD_NANOS = 1_000_000;

  private final int index;
  private final Stage2Mmu mmu;
  private final VcpuContext ctx;
  private final VcpuControl control;
  private final long ramBaseGfn;
  private final StorePattern pattern;
  private final AtomicLong storesRetired = new AtomicLong();
  private final AtomicLong pacingSleeps = new AtomicLong();

  private Workload workload;
  private long stores;
  private long pc = PC_BASE;
  private long[] regs = new long[REGISTERS];
  private long nanosPerStore;
  private long nextStoreNanos;
  private long activeSinceNanos;

  public Vcpu(
      int index, Stage2Mmu mmu, VcpuControl control, long ramBaseGfn, Workload workload,
      StorePattern pattern) {
    this.index = index;
    this.mmu = mmu;
    this.ctx = mmu.newContext(index);
    this.control = control;
    this.ramBaseGfn = ramBaseGfn;
    this.pattern = pattern;
    setWorkload(workload);
  }

  private void setWorkload(Workload w) {
    this.workload = w;
    this.nanosPerStore = w.spec().nanosPerStore();
  }

  public int index() {
    return index;
  }

  public long storesRetired() {
    return storesRetired.get();
  }

  /** How many times this vCPU slept to keep to its workload's rate (the host's wake-ups). */
  long pacingSleeps() {
    return pacingSleeps.get();
  }

  public Thread start() {
    control.registerStarted();
    Thread t = new Thread(this, "vcpu-" + index);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public void run() {
    try {
      loop();
    } finally {
      control.exited();
    }
  }

  private void loop() {
    long now = System.nanoTime();
    nextStoreNanos = now;
    activeSinceNanos = now;
    while (true) {
      if (!control.isRunning()) {
        if (!control.awaitRunnable()) return;
        now = System.nanoTime();
        nextStoreNanos = now;
        activeSinceNanos = now;
      }
      if (nanosPerStore > 0) {
        now = System.nanoTime();
        long wait = nextStoreNanos - now;
        if (wait > 0) {
          LockSupport.parkNanos(Math.min(Math.max(wait, PACING_QUANTUM_NANOS), MAX_BURST_NANOS));
          pacingSleeps.lazySet(pacingSleeps.get() + 1);
          continue;
        }
        nextStoreNanos = Math.max(nextStoreNanos, now - MAX_BURST_NANOS) + nanosPerStore;
      }
      long page = workload.nextPage();
      if (page < 0) {
        LockSupport.parkNanos(MAX_BURST_NANOS);
        continue;
      }
      long gfn = ramBaseGfn + page;
      long seq = stores;
      int offset = pattern.offsetOf(index, gfn, seq);
      mmu.store(ctx, gfn, offset, pattern, seq);
      stores = seq + 1;
      storesRetired.lazySet(stores);
      pc = PC_BASE + ((stores & 0xFF) << 2);
      regs[0] = gfn;
      regs[1] = offset;
      regs[2] = stores;
      if (ctx.debtNanos() >= DEBT_PARK_THRESHOLD_NANOS) payDebt();
      int throttle = control.throttlePercent();
      if (throttle > 0) throttle(throttle);
    }
  }

  /** Sleeps off the guest time owed to the cost model (outside any store window). */
  private void payDebt() {
    long debt = ctx.takeDebtNanos();
    long t0 = System.nanoTime();
    LockSupport.parkNanos(debt);
    ctx.creditNanos(System.nanoTime() - t0 - debt);
  }

  /**
   * CPU throttle as QEMU's cpu-throttle does it: after each timeslice of {@link
   * #THROTTLE_PERIOD_NANOS} the vCPU sleeps {@code percent / (100 - percent)} of a timeslice (99 ms
   * at 99 %). The slice counts at most one period, however long ago the last sleep was: time the
   * vCPU spent waiting for its rate limit or its cost-model debt is not running time (counting it
   * made one sleep at 99 % as long as 99 times a guest's idle spell). The sleep ends early when the
   * VM stops running ({@link VcpuControl#throttleSleep}), so a pause never waits for it.
   */
  private void throttle(int percent) {
    long now = System.nanoTime();
    long active = now - activeSinceNanos;
    if (active < THROTTLE_PERIOD_NANOS) return;
    control.throttleSleep(THROTTLE_PERIOD_NANOS * percent / (100 - percent));
    activeSinceNanos = System.nanoTime();
  }

  /** The vCPU's state; the VM must be paused. */
  public VcpuState capture() {
    return new VcpuState(
        index, pc, regs.clone(), workload.spec().toString(), workload.captureState(), stores);
  }

  /** Replaces workload and progress; the VM must be paused. */
  public void restore(VcpuState s, Workload w) {
    if (s.regs().length != REGISTERS)
      throw new IllegalArgumentException("vCPU " + index + ": expected " + REGISTERS + " registers");
    w.restoreState(s.workloadState());
    setWorkload(w);
    pc = s.pc();
    regs = s.regs().clone();
    stores = s.storesRetired();
    storesRetired.set(stores);
  }

  /** A vCPU's captured state (the machine layer maps it to {@code VcpuSnapshot}). */
  public record VcpuState(
      int index, long pc, long[] regs, String workloadSpec, byte[] workloadState, long storesRetired) {}
}
