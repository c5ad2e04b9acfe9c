package io.dbmmigrate.experiment;

import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.StoreValue;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The guest of {@link PerfProbeMain}: vCPU {@code i} owns pages {@code [base + i·pages, base +
 * (i+1)·pages)} and, per pass, writes 8 bytes to each of them with probability {@code percent}
 * (the selftest's guest code, minus the reads). Each pass runs one thread per vCPU; the contexts
 * (TLB, guest-time debt) survive the passes, handed from one thread to the next by {@code start}
 * and {@code join}. A vCPU sleeps off the guest time the cost model charges it (faults, exits) as
 * the machine's vCPUs do, so the pass time includes it. The store value changes with the pass, so
 * every written page's content changes.
 */
final class PerfVcpus {
  private static final long DEBT_PARK_NANOS = 50_000;
  private static final StoreValue VALUE = (vcpu, gfn, seq) -> (seq + 1) * 0x9E3779B97F4A7C15L ^ gfn;

  private final Stage2Mmu mmu;
  private final long baseGfn;
  private final long pages;
  private final VcpuContext[] contexts;
  private final SplittableRandom[] randoms;

  PerfVcpus(Stage2Mmu mmu, long baseGfn, long pagesPerVcpu, int vcpus, double percentDefault, long seed) {
    this.mmu = mmu;
    this.baseGfn = baseGfn;
    this.pages = pagesPerVcpu;
    this.contexts = new VcpuContext[vcpus];
    this.randoms = new SplittableRandom[vcpus];
    for (int v = 0; v < vcpus; v++) {
      contexts[v] = mmu.newContext(v);
      randoms[v] = new SplittableRandom(seed * 31 + v);
    }
  }

  /** One pass of every vCPU; wall nanoseconds until the last one is done. */
  long pass(int iteration, double percent) throws InterruptedException {
    final long threshold = Math.round(percent * 100); // per 10,000
    Thread[] threads = new Thread[contexts.length];
    long t0 = System.nanoTime();
    for (int v = 0; v < contexts.length; v++) {
      final int vcpu = v;
      threads[v] = new Thread(() -> run(vcpu, iteration, threshold), "perf-vcpu-" + v);
      threads[v].start();
    }
    for (Thread t : threads) t.join();
    return System.nanoTime() - t0;
  }

  private void run(int v, long iteration, long threshold) {
    VcpuContext c = contexts[v];
    SplittableRandom r = randoms[v];
    long first = baseGfn + v * pages;
    for (long g = first; g < first + pages; g++) {
      if (threshold < 10_000 && r.nextInt(10_000) >= threshold) continue;
      mmu.store(c, g, 0, VALUE, iteration);
      if (c.debtNanos() >= DEBT_PARK_NANOS) payDebt(c);
    }
    if (c.debtNanos() > 0) payDebt(c);
  }

  private static void payDebt(VcpuContext c) {
    long debt = c.takeDebtNanos();
    long t0 = System.nanoTime();
    LockSupport.parkNanos(debt);
    c.creditNanos(System.nanoTime() - t0 - debt);
  }
}
