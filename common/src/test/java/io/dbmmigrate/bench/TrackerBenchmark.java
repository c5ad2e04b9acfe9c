package io.dbmmigrate.bench;

import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.Stage2DirtyLog;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import io.dbmmigrate.util.ByteSize;
import java.util.Arrays;
import java.util.Locale;

/**
 * The trackers benchmark (issue 12, item 6): per dirty-log mode (sw, hw, ring, hdbss, combined),
 * the guest's store cost on a clean page (the first write after a harvest: a fault in sw and ring,
 * a hardware DBM update in hw, the update plus an HDBSS append in hdbss, a fault that arms the
 * neighbourhood or a DBM update in combined) and on a dirty page (the write bit already set), and
 * the harvest cost per GiB of guest at 0.01 %, 1 % and 10 % dirty; next to the memory-bandwidth
 * bound measured in the same run (a sequential read of a {@code long[]} as large as the guest's
 * leaf PTEs, per GiB). Costs of the cost model are zero: this measures the mechanism. Medians
 * over the iterations.
 *
 * <p>Run by {@code deploy/bench.sh trackers [--ram 1g] [--iterations 5]}; ends with RESULT lines.
 * The stores come from one thread without a running vCPU, so ring-full and buffer-full exits
 * happen inside the store timings (as they would for a vCPU).
 */
public final class TrackerBenchmark {
  private static final DirtyLogMode[] MODES = {
    DirtyLogMode.SW, DirtyLogMode.HW, DirtyLogMode.RING, DirtyLogMode.HDBSS, DirtyLogMode.COMBINED
  };
  private static final double[] PERCENTS = {0.01, 1, 10};

  public static void main(String[] args) {
    long ram = 1L << 30;
    int iterations = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--ram" -> ram = ByteSize.parse(args[++i]);
        case "--iterations" -> iterations = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    double gib = ram / (double) (1L << 30);
    long pages = ram >>> 12;
    double bw = bandwidthMsPerGib(pages, iterations, gib);
    System.out.printf(Locale.ROOT, "trackers: %s guest, %d iterations; bandwidth bound %.3f ms/GiB%n",
        ByteSize.format(ram), iterations, bw);
    System.out.printf(Locale.ROOT, "%-9s %12s %12s %14s %14s %14s%n", "mode", "clean ns", "dirty ns",
        "0.01% ms/GiB", "1% ms/GiB", "10% ms/GiB");
    StringBuilder results = new StringBuilder();
    for (DirtyLogMode m : MODES) {
      VmSpec spec = new VmSpec(ram, 64 << 10, 1, BackingPageSize.SIZE_4K, "idle", 1,
          MachineTuning.defaults().withoutCosts());
      try (SimulatedVm vm = SimulatedVms.builder(spec).prefaultRam(true).build()) {
        Stage2DirtyLog log = vm.stage2DirtyLog();
        Stage2Mmu mmu = vm.mmu();
        VcpuContext cpu = mmu.newContext(0);
        MemorySlotSpec r = vm.ram();
        long[] bm = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
        log.enable(m, new DirtyLogOptions(1, DirtyLogOptions.DEFAULT_SCAN_CHUNK_BYTES, false));
        // Store cost: 1 % of the pages, spread; clean (first write), then dirty (second write).
        long n = Math.max(1, pages / 100);
        long stride = pages / n;
        double[] clean = new double[iterations];
        double[] dirty = new double[iterations];
        // Two passes over every measurement of a mode: the first only warms the JIT up (a quiet
        // run without it showed each mode's first point the slowest, not monotonic in the ratio).
        double[] harvest = new double[PERCENTS.length];
        for (int pass = 0; pass < 2; pass++) {
          for (int it = 0; it < iterations; it++) {
            log.sync(bm);
            long t0 = System.nanoTime();
            for (long k = 0; k < n; k++) mmu.touchForWrite(cpu, r.baseGfn() + k * stride + (it % stride));
            long t1 = System.nanoTime();
            for (long k = 0; k < n; k++) mmu.touchForWrite(cpu, r.baseGfn() + k * stride + (it % stride));
            long t2 = System.nanoTime();
            clean[it] = (t1 - t0) / (double) n;
            dirty[it] = (t2 - t1) / (double) n;
          }
          for (int p = 0; p < PERCENTS.length; p++) {
            long d = Math.max(1, (long) (pages * PERCENTS[p] / 100));
            long s = pages / d;
            double[] t = new double[iterations];
            for (int it = 0; it < iterations; it++) {
              Arrays.fill(bm, 0);
              log.sync(bm);
              for (long k = 0; k < d; k++) mmu.touchForWrite(cpu, r.baseGfn() + k * s + (it % s));
              Arrays.fill(bm, 0);
              long t0 = System.nanoTime();
              log.sync(bm);
              t[it] = (System.nanoTime() - t0) / 1e6 / gib;
            }
            harvest[p] = median(t);
          }
        }
        log.disable();
        String name = m.cliName();
        System.out.printf(Locale.ROOT, "%-9s %12.1f %12.1f %14.3f %14.3f %14.3f%n", name,
            median(clean), median(dirty), harvest[0], harvest[1], harvest[2]);
        results.append(String.format(Locale.ROOT, "RESULT tracker_%s_store_clean_ns=%.1f%n", name, median(clean)));
        results.append(String.format(Locale.ROOT, "RESULT tracker_%s_store_dirty_ns=%.1f%n", name, median(dirty)));
        String[] tag = {"0.01", "1", "10"};
        for (int p = 0; p < PERCENTS.length; p++) {
          results.append(String.format(Locale.ROOT, "RESULT tracker_%s_harvest_ms_per_gib_p%s=%.4f%n", name, tag[p], harvest[p]));
          results.append(String.format(Locale.ROOT, "RESULT tracker_%s_harvest_to_bandwidth_p%s=%.3f%n", name, tag[p], harvest[p] / bw));
        }
      }
    }
    System.out.print(results);
    System.out.printf(Locale.ROOT, "RESULT bandwidth_bound_ms_per_gib=%.4f%n", bw);
  }

  /** A sequential read of one long per guest page (as many as its leaf PTEs), ms per GiB. */
  private static double bandwidthMsPerGib(long pages, int iterations, double gib) {
    long[] a = new long[(int) pages];
    for (int i = 0; i < a.length; i++) a[i] = i;
    double[] t = new double[iterations + 2];
    long sink = 0;
    for (int it = 0; it < t.length; it++) {
      long t0 = System.nanoTime();
      long s = 0;
      for (long v : a) s += v;
      t[it] = (System.nanoTime() - t0) / 1e6 / gib;
      sink += s;
    }
    if (sink == 42) System.out.println();
    return median(Arrays.copyOfRange(t, 2, t.length));
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
