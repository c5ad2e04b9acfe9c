package io.dbmmigrate.bench;

import io.dbmmigrate.dirty.CpuAffinity;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.ScanProfile;
import io.dbmmigrate.dirty.Stage2DirtyLog;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import io.dbmmigrate.util.SplitMix64;
import io.dbmmigrate.vcpu.StorePattern;
import java.util.Arrays;
import java.util.Locale;

/**
 * The dirty-scan benchmark (issue 3): a full hardware-mode sync of a fully mapped guest (default
 * 64 GiB = 16,777,216 leaf PTEs) with 1 % dirty, on 1 and 2 scan threads; a software-mode sync with
 * the same dirty count; the cost of the permission-fault path and of the hardware-dirty store path;
 * and, in the same run, the memory-bandwidth bound: a sequential read of a {@code long[]} as large
 * as the leaf tables. Ends with {@code RESULT name=value} lines. Optionally (default on) the memory
 * check: every PTE established and 1 GiB written, heap used reported (run with -Xmx2g).
 *
 * <p>Run by {@code deploy/bench.sh scan}; arguments: {@code --ram SIZE --dirty-percent P
 * --iterations N --no-memory}. Costs of the cost model are zero here: this measures the mechanism.
 * Reported times are medians over the iterations, after warm-up iterations; the minima are printed
 * too (on a shared machine the best of N shows what the code does when it gets the cores).
 */
public final class ScanBenchmark {
  private long ramBytes = 64L << 30;
  private double dirtyPercent = 1.0;
  private int iterations = 9;
  private int warmup = 3;
  private boolean memoryCheck = true;
  private boolean verbose;
  private long sink;

  public static void main(String[] args) {
    ScanBenchmark b = new ScanBenchmark();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--ram":
          b.ramBytes = ByteSize.parse(args[++i]);
          break;
        case "--dirty-percent":
          b.dirtyPercent = Double.parseDouble(args[++i]);
          break;
        case "--iterations":
          b.iterations = Integer.parseInt(args[++i]);
          break;
        case "--warmup":
          b.warmup = Integer.parseInt(args[++i]);
          break;
        case "--no-memory":
          b.memoryCheck = false;
          break;
        case "--verbose":
          b.verbose = true;
          break;
        default:
          System.err.println("unknown argument " + args[i]
              + " (expected --ram SIZE, --dirty-percent P, --iterations N, --warmup N, --no-memory, --verbose)");
          System.exit(2);
      }
    }
    b.run();
  }

  private void run() {
    VmSpec spec =
        new VmSpec(ramBytes, 2L << 20, 2, BackingPageSize.SIZE_4K, "idle", 1,
            MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm = SimulatedVms.builder(spec).build()) {
      Stage2Mmu mmu = vm.mmu();
      Stage2DirtyLog log = vm.stage2DirtyLog();
      MemorySlotSpec ram = vm.ram();
      long pages = ram.pageCount();
      int words = (int) ((vm.memory().gfnLimit() + 63) >>> 6);
      long dirtyCount = Math.round(pages * dirtyPercent / 100);
      System.out.printf(Locale.ROOT, "guest %s, %d leaf PTEs, %d dirty (%.2f %%), %d CPUs, max heap %d MiB%n",
          ByteSize.format(ramBytes), pages, dirtyCount, dirtyPercent,
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

      long t0 = System.nanoTime();
      mmu.populate(ram.baseGfn(), ram.endGfn());
      System.out.printf(Locale.ROOT, "populate: %.1f ms (%d tables, arena %d MiB)%n",
          ms(System.nanoTime() - t0), mmu.pageTable().tablesInUse(), mmu.pageTable().arenaBytes() >> 20);

      // -- the bandwidth bound (a sequential read of an equally large long[]) and the HW syncs,
      //    interleaved in every iteration so that machine noise hits both alike -----------------
      long[] plain = new long[(int) pages];
      Arrays.fill(plain, 0x0080_0000_0000_06C3L);
      double[] bw = new double[iterations];
      // The same read on two threads (the caller and a parked helper it wakes, kept off the
      // caller's CPU as the scanner keeps its worker): what two threads of this machine can read,
      // in this run.
      double[] bw2 = new double[iterations];
      CpuAffinity affinity = CpuAffinity.load();
      long[] processCpus = affinity.allowedCpus(affinity.currentThreadId());
      java.util.concurrent.ExecutorService reader =
          java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-reader");
            t.setDaemon(true);
            return t;
          });
      final int readerTid = threadIdOf(reader, affinity);
      VcpuContext cpu = mmu.newContext(0);
      GuestThread guest = new GuestThread(mmu, ram);
      long[] bitmap = new long[words];
      log.enable(DirtyLogMode.HW, new DirtyLogOptions(2, DirtyLogOptions.DEFAULT_SCAN_CHUNK_BYTES, false));
      double[] t1 = new double[iterations];
      double[] t2 = new double[iterations];
      double[] hwStoreNs = new double[iterations];
      double[] workerStartUs = new double[iterations];
      double[] t2OnCpu = new double[iterations];
      double[] t1OnCpu = new double[iterations];
      long visited = 0;
      double loadStart = HostLoad.loadAverage1m();
      HostLoad.Sample cpu0 = HostLoad.sample();
      System.out.printf(Locale.ROOT, "host: load average %.2f, this process in %s%n", loadStart, HostLoad.autogroup());
      for (int i = -warmup; i < iterations; i++) {
        long s0 = System.nanoTime();
        sink += sum(plain);
        if (i >= 0) bw[i] = ms(System.nanoTime() - s0);
        affinity.allowAllBut(readerTid, processCpus, affinity.currentCpu());
        s0 = System.nanoTime();
        sink += twoThreadSum(plain, reader);
        if (i >= 0) bw2[i] = ms(System.nanoTime() - s0);
        for (int threads = 1; threads <= 2; threads++) {
          long ns = guest.dirty(dirtyCount);
          if (i >= 0 && threads == 1) hwStoreNs[i] = (double) ns / dirtyCount;
          Arrays.fill(bitmap, 0);
          log.setScanThreads(threads);
          SyncStats st = log.sync(bitmap);
          check(st, dirtyCount, "HW t" + threads);
          visited = st.ptesVisited();
          if (i >= 0) (threads == 1 ? t1 : t2)[i] = st.millis();
          ScanProfile prof = log.lastScanProfile();
          if (i >= 0 && threads == 1) t1OnCpu[i] = prof.onCpuShare(0);
          if (i >= 0 && threads == 2 && prof.threads() == 2) {
            boolean calledOff = prof.startNanos()[1] < 0; // woke after every chunk was taken
            workerStartUs[i] = (calledOff ? prof.scanNanos() : prof.startNanos()[1]) / 1e3;
            t2OnCpu[i] = calledOff ? prof.onCpuShare(0) : (prof.onCpuShare(0) + prof.onCpuShare(1)) / 2;
          }
          if (verbose)
            System.out.printf(Locale.ROOT, "  iteration %d: hw sync t%d %.2f ms: %s%n", i, threads, st.millis(),
                log.lastScanProfile().describe());
        }
      }
      HostLoad.Sample cpu1 = HostLoad.sample();
      double loadEnd = HostLoad.loadAverage1m();
      double othersCores = HostLoad.otherCores(cpu0, cpu1);
      log.disable();
      plain = null;
      reader.shutdown();
      double bandwidthMs = median(bw);
      double bandwidth2Ms = median(bw2);

      // -- SW syncs --------------------------------------------------------------------------
      log.enable(DirtyLogMode.SW, new DirtyLogOptions(1, DirtyLogOptions.DEFAULT_SCAN_CHUNK_BYTES, false));
      double[] sw = new double[iterations];
      double[] faultNs = new double[iterations];
      long swVisited = 0;
      for (int i = -warmup; i < iterations; i++) {
        long ns = guest.dirty(dirtyCount);
        if (i >= 0) faultNs[i] = (double) ns / dirtyCount;
        Arrays.fill(bitmap, 0);
        SyncStats st = log.sync(bitmap);
        check(st, dirtyCount, "SW");
        swVisited = st.ptesVisited();
        if (i >= 0) sw[i] = st.millis();
      }
      log.disable();

      guest.close();

      // -- store with a TLB hit (baseline of the store path) ------------------------------------
      double tlbHitNs = tlbHitStoreNs(mmu, cpu, ram);

      double hw1 = median(t1);
      double hw2 = median(t2);
      double swMs = median(sw);
      System.out.println();
      System.out.printf(Locale.ROOT, "%-34s %10s %12s%n", "measure", "median", "target");
      row("hw sync, 1 thread [ms]", hw1, "<= 40");
      row("hw sync, 2 threads [ms]", hw2, "t1/t2 >= 1.7");
      row("sw sync, same dirty count [ms]", swMs, "O(dirty)");
      row("bandwidth bound (seq. read) [ms]", bandwidthMs, "");
      row("hw t1 / bandwidth bound", hw1 / bandwidthMs, "<= 2");
      row("speedup t1/t2", hw1 / hw2, ">= 1.7");
      row("bandwidth bound, 2 threads [ms]", bandwidth2Ms, "");
      row("read speedup t1/t2 (same run)", bandwidthMs / bandwidth2Ms, "");
      row("hw sync, 1 thread, best [ms]", min(t1), "");
      row("hw sync, 2 threads, best [ms]", min(t2), "");
      row("speedup of the bests", min(t1) / min(t2), "");
      row("permission-fault path [ns/store]", median(faultNs), "");
      row("hw-dirty (DBM) store path [ns/store]", median(hwStoreNs), "");
      row("TLB-hit store [ns/store]", tlbHitNs, "");
      System.out.printf(Locale.ROOT, "ptes visited: hw sync %d, sw sync %d%n", visited, swVisited);
      System.out.printf(Locale.ROOT,
          "scan threads: 2nd thread first chunk after %.0f us (median); on-CPU share %.2f (t1) %.2f (t2);"
              + " other processes used %.2f of %d cores; load average %.2f -> %.2f%n",
          median(workerStartUs), median(t1OnCpu), median(t2OnCpu), othersCores,
          Runtime.getRuntime().availableProcessors(), loadStart, loadEnd);

      double heapMb = Double.NaN;
      double residentMb = Double.NaN;
      if (memoryCheck) {
        double[] m = memoryCheck(vm, ram);
        heapMb = m[0];
        residentMb = m[1];
      }

      System.out.println();
      result("hw_sync_ms_t1", hw1);
      result("hw_sync_ms_t2", hw2);
      result("sw_sync_ms", swMs);
      result("bandwidth_bound_ms", bandwidthMs);
      result("ptes_per_sec", pages / (hw1 / 1e3));
      result("ratio_to_bandwidth_bound", hw1 / bandwidthMs);
      result("speedup_t2_over_t1", hw1 / hw2);
      result("hw_sync_ms_t1_min", min(t1));
      result("hw_sync_ms_t2_min", min(t2));
      result("bandwidth_bound_ms_min", min(bw));
      result("speedup_of_mins", min(t1) / min(t2));
      result("bandwidth_bound_ms_t2", bandwidth2Ms);
      result("read_speedup_t2_over_t1", bandwidthMs / bandwidth2Ms);
      result("ratio_t2_to_bandwidth_bound_t2", hw2 / bandwidth2Ms);
      result("fault_path_ns_per_store", median(faultNs));
      result("hw_dirty_store_path_ns_per_store", median(hwStoreNs));
      result("tlb_hit_store_ns", tlbHitNs);
      result("hw_sync_ptes_visited", visited);
      result("t2_worker_start_us_median", median(workerStartUs));
      result("t1_on_cpu_share_median", median(t1OnCpu));
      result("t2_on_cpu_share_median", median(t2OnCpu));
      result("other_processes_cpu_cores", othersCores);
      result("load_avg_1m_start", loadStart);
      result("load_avg_1m_end", loadEnd);
      result("sw_sync_ptes_visited", swVisited);
      if (memoryCheck) {
        result("memory_heap_used_mb", heapMb);
        result("memory_guest_pages_resident_mb", residentMb);
        result("memory_max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
      }
      if (sink == 42) System.out.println();
    }
  }

  /**
   * Plays vCPU 1: dirties pages through the write path on its own thread, as the guest does, so
   * that the scan threads find the dirty PTEs in another core's cache or in memory, never in their
   * own (a scan right after the same thread dirtied them would flatter one thread over two).
   */
  private static final class GuestThread implements AutoCloseable {
    private final Stage2Mmu mmu;
    private final MemorySlotSpec ram;
    private final java.util.concurrent.ExecutorService thread =
        java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "bench-vcpu");
          t.setDaemon(true);
          return t;
        });
    private final SplitMix64 rng = new SplitMix64(42);
    private VcpuContext cpu; // confined to the executor's thread

    GuestThread(Stage2Mmu mmu, MemorySlotSpec ram) {
      this.mmu = mmu;
      this.ram = ram;
    }

    /** Dirties {@code count} distinct pages (one per run of pages/count); returns nanoseconds. */
    long dirty(long count) {
      try {
        return thread.submit(() -> {
          if (cpu == null) cpu = mmu.newContext(1);
          long stride = ram.pageCount() / count;
          long s = System.nanoTime();
          for (long k = 0; k < count; k++) {
            mmu.touchForWrite(cpu, ram.baseGfn() + k * stride + rng.nextLong(stride));
          }
          return System.nanoTime() - s;
        }).get();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() {
      thread.shutdownNow();
    }
  }

  private static void check(SyncStats st, long expect, String what) {
    if (st.dirtyPages() != expect)
      throw new IllegalStateException(what + ": collected " + st.dirtyPages() + ", expected " + expect);
  }

  private static long sum(long[] a) {
    return sum(a, 0, a.length);
  }

  private static long sum(long[] a, int from, int to) {
    long s = 0;
    for (int i = from; i < to; i++) s += a[i];
    return s;
  }

  /** The kernel thread id of the single-thread executor's thread (-1 without the calls). */
  private static int threadIdOf(java.util.concurrent.ExecutorService thread, CpuAffinity affinity) {
    try {
      return thread.submit(affinity::currentThreadId).get();
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a on two threads: the upper half on {@code helper}, the lower half on the caller. */
  private static long twoThreadSum(long[] a, java.util.concurrent.ExecutorService helper) {
    final int half = a.length >>> 1;
    java.util.concurrent.Future<Long> upper = helper.submit(() -> sum(a, half, a.length));
    long s = sum(a, 0, half);
    try {
      return s + upper.get();
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private double tlbHitStoreNs(Stage2Mmu mmu, VcpuContext cpu, MemorySlotSpec ram) {
    StorePattern p = StorePattern.standard();
    long gfn = ram.baseGfn();
    int n = 5_000_000;
    for (int i = 0; i < n; i++) mmu.store(cpu, gfn + (i & 31), 0, p, i);
    long s = System.nanoTime();
    for (int i = 0; i < n; i++) mmu.store(cpu, gfn + (i & 31), (i & 7) << 3, p, i);
    return (double) (System.nanoTime() - s) / n;
  }

  /** Every PTE established (populate) and 1 GiB written with real stores; heap used after GC. */
  private static double[] memoryCheck(SimulatedVm vm, MemorySlotSpec ram) {
    Stage2Mmu mmu = vm.mmu();
    VcpuContext cpu = mmu.newContext(0);
    long writePages = Math.min(ram.pageCount(), (1L << 30) >>> 12);
    long stride = ram.pageCount() / writePages;
    StorePattern p = StorePattern.standard();
    for (long k = 0; k < writePages; k++) mmu.store(cpu, ram.baseGfn() + k * stride, 0, p, k);
    Runtime rt = Runtime.getRuntime();
    System.gc();
    System.gc();
    double used = (rt.totalMemory() - rt.freeMemory()) / 1048576.0;
    double resident = vm.memory().residentBytes() / 1048576.0;
    System.out.printf(Locale.ROOT,
        "memory: all %d PTEs established, %d pages (1 GiB) written spread over the guest: "
            + "heap used %.0f MiB of max %d MiB (page contents %.0f MiB, PT arena %d MiB)%n",
        ram.pageCount(), writePages, used, rt.maxMemory() >> 20, resident,
        mmu.pageTable().arenaBytes() >> 20);
    return new double[] {used, resident};
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  private static double min(double[] v) {
    double m = Double.MAX_VALUE;
    for (double d : v) m = Math.min(m, d);
    return m;
  }

  private static void row(String name, double v, String target) {
    System.out.printf(Locale.ROOT, "%-34s %10.3f %12s%n", name, v, target);
  }

  private static void result(String name, double v) {
    System.out.printf(Locale.ROOT, "RESULT %s=%.3f%n", name, v);
  }
}
