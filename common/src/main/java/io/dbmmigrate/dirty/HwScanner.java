package io.dbmmigrate.dirty;

import io.dbmmigrate.mmu.Stage2PageTable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Parallel scan of the leaf PTEs of a gfn range for hardware-dirty entries. The range is cut into
 * chunks of {@code chunkPages} (default 512 MiB of guest memory, at least 2 MiB); the calling thread and {@code
 * threads - 1} workers of a long-lived pool claim chunks from a shared cursor (work stealing by
 * {@code getAndIncrement}) until none is left.
 *
 * <p>Concurrency: one scan at a time (the dirty log serializes its control operations); a scan's
 * visitors are private to their thread and summed after all have finished (Future.get gives the
 * happens-before). A worker that has not started when the caller runs out of chunks is called off
 * by a CAS on its hand-off slot rather than waited for: on a loaded host a parked worker's wake-up
 * takes milliseconds (measured: median 7.7 ms at load average 16), longer than the scan. The pool's threads are daemons and live until {@link #close}.
 *
 * <p>CPU steering: before it wakes its workers, the caller lets each of them run anywhere but on
 * the CPU the caller is on ({@link CpuAffinity}; one {@code sched_setaffinity} when that CPU
 * changed since the last scan, none otherwise). A kernel that packs threads onto few CPUs
 * otherwise queues the woken worker behind the caller while another CPU idles (see there). The
 * caller is never restricted; where the calls are unavailable nothing changes.
 */
final class HwScanner implements AutoCloseable {
  private final Stage2PageTable pt;
  private final ScanVariant.Broken broken;
  private final ThreadPoolExecutor pool;
  private final CpuAffinity affinity;
  /** The CPUs the process may use (taken at construction), or null: no steering. */
  private final long[] processCpus;
  /**
   * Kernel thread ids of the workers that have started (copy on write: a worker adds its own when
   * it starts; the volatile write publishes the new array to the scanning caller).
   */
  private volatile int[] workerTids = new int[0];
  /** Per entry of {@link #workerTids}: the CPU it was last kept off (-1: none). Caller only. */
  private int[] keptOff = new int[0];

  HwScanner(Stage2PageTable pt, ScanVariant.Broken broken, CpuAffinity affinity) {
    this.pt = pt;
    this.broken = broken;
    this.affinity = affinity;
    this.processCpus = affinity.allowedCpus(affinity.currentThreadId());
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            1,
            1,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t =
                  new Thread(
                      () -> {
                        addWorkerTid(affinity.currentThreadId());
                        r.run();
                      },
                      "dirty-scan-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  private synchronized void addWorkerTid(int tid) {
    if (tid < 0) return;
    int[] next = java.util.Arrays.copyOf(workerTids, workerTids.length + 1);
    next[next.length - 1] = tid;
    workerTids = next;
  }

  /**
   * Keeps the workers off the caller's CPU (see the class doc). Scan threads only: the caller of
   * {@link #scan}, one scan at a time.
   */
  private void steerWorkers() {
    if (processCpus == null) return;
    final int[] tids = workerTids;
    if (tids.length == 0) return;
    final int cpu = affinity.currentCpu();
    if (cpu < 0) return;
    if (keptOff.length != tids.length) {
      int[] k = java.util.Arrays.copyOf(keptOff, tids.length);
      for (int i = keptOff.length; i < k.length; i++) k[i] = -1;
      keptOff = k;
    }
    for (int i = 0; i < tids.length; i++) {
      if (keptOff[i] == cpu) continue;
      keptOff[i] = affinity.allowAllBut(tids[i], processCpus, cpu) ? cpu : -1;
    }
  }

  /** The CPU each started worker was last kept off (-1: none), for tests (the scanning thread). */
  int[] keptOffCpus() {
    return keptOff.clone();
  }

  /** Kernel thread ids of the started workers, for tests. */
  int[] workerThreadIds() {
    return workerTids.clone();
  }

  /** Makes sure {@code threads - 1} workers exist (started now, not at the first sync). */
  synchronized void ensureThreads(int threads) {
    int workers = Math.max(1, threads - 1);
    if (workers > pool.getMaximumPoolSize()) {
      pool.setMaximumPoolSize(workers);
      pool.setCorePoolSize(workers);
    } else if (workers < pool.getCorePoolSize()) {
      pool.setCorePoolSize(workers);
      pool.setMaximumPoolSize(workers);
    }
    if (threads > 1) pool.prestartAllCoreThreads();
  }

  record Result(long visited, long dirty, int threads, ScanProfile profile) {}

  /**
   * Scans {@code [startGfn, endGfn)}; hardware-dirty pages go into {@code out} (bit of gfn g is bit
   * {@code (g - outBaseGfn) & 63} of word {@code (g - outBaseGfn) >>> 6}); with {@code clearWrite}
   * their write bit is cleared (the caller invalidates the TLB afterwards). With {@code
   * ownsOutWords} nobody else writes {@code out} meanwhile, and each scan thread updates the words
   * of its chunks with plain stores (see {@link HwScanVisitor}); the join publishes them.
   *
   * <p>Chunks are whole 2 MiB regions (at least 512 pages, a power of two): a chunk owns whole
   * 64-page words of {@code out} and whole blocks, so a hardware-dirty block is harvested by one
   * thread. The first and the last chunk may be partial (the range need not be aligned).
   */
  Result scan(
      long startGfn, long endGfn, long[] out, long outBaseGfn, boolean clearWrite, int threads,
      long chunkPagesRequested, boolean ownsOutWords) {
    final long chunkPages = Math.max(Stage2PageTable.ENTRIES, chunkPagesRequested);
    if (ownsOutWords && (((startGfn - outBaseGfn) & 63) != 0 || (startGfn & 63) != 0))
      throw new IllegalArgumentException("scan range must start on a bitmap word");
    final long firstChunk = startGfn / chunkPages;
    final long lastChunk = (endGfn - 1) / chunkPages;
    int all = (int) (lastChunk - firstChunk + 1);
    if (broken == ScanVariant.Broken.SKIPS_PARTIAL_LAST_CHUNK && all > 1 && endGfn % chunkPages != 0)
      all--; // BROKEN on purpose: the partial last chunk is never scanned
    final int chunks = all;
    final int n = Math.max(1, Math.min(threads, chunks));
    final AtomicInteger cursor = new AtomicInteger();
    final long t0 = System.nanoTime();
    final long[] starts = new long[n];
    final long[] ends = new long[n];
    final int[] counts = new int[n];
    final long[] cpu = new long[n];
    @SuppressWarnings("unchecked")
    Future<HwScanVisitor>[] futures = new Future[n];
    // Hand-off per worker: 0 = not started, 1 = scanning, -1 = called off by the caller. A worker
    // that wakes after the caller has taken every chunk must not hold up the sync: the caller
    // calls it off (CAS 0 → -1) instead of waiting for its wake-up; a worker that got there first
    // (CAS 0 → 1) is waited for, since it may hold a chunk.
    final AtomicIntegerArray handoff = new AtomicIntegerArray(n);
    if (n > 1) steerWorkers();
    // Workers first, so they wake while the caller starts on its own chunks. Each thread makes its
    // own visitor (in its own allocation buffer): the counters two threads bump are never in one
    // cache line.
    for (int t = 1; t < n; t++) {
      final int tt = t;
      futures[t] =
          pool.submit(
              () -> {
                if (!handoff.compareAndSet(tt, 0, 1)) return null; // called off: nothing to do
                HwScanVisitor v = new HwScanVisitor(out, outBaseGfn, clearWrite, ownsOutWords, broken);
                runChunks(cursor, chunks, firstChunk, chunkPages, startGfn, endGfn, v, t0, starts, ends, counts, cpu, tt);
                return v;
              });
    }
    HwScanVisitor mine = new HwScanVisitor(out, outBaseGfn, clearWrite, ownsOutWords, broken);
    runChunks(cursor, chunks, firstChunk, chunkPages, startGfn, endGfn, mine, t0, starts, ends, counts, cpu, 0);
    long visited = mine.visited;
    long dirty = mine.dirty;
    for (int t = 1; t < n; t++) {
      if (handoff.compareAndSet(t, 0, -1)) { // never started; every chunk is taken: call it off
        starts[t] = -1;
        ends[t] = 0;
        cpu[t] = -1;
        continue;
      }
      HwScanVisitor v = await(futures[t]);
      visited += v.visited;
      dirty += v.dirty;
    }
    return new Result(visited, dirty, n, new ScanProfile(n, starts, ends, counts, cpu, System.nanoTime() - t0));
  }

  /** Claims chunks until none is left; records when this thread started and ended (profile). */
  private void runChunks(
      AtomicInteger cursor, int chunks, long firstChunk, long chunkPages, long startGfn,
      long endGfn, HwScanVisitor v, long t0, long[] starts, long[] ends, int[] counts, long[] cpu,
      int t) {
    int c;
    int k = 0;
    long cpu0 = -1;
    starts[t] = -1;
    while ((c = cursor.getAndIncrement()) < chunks) {
      if (k++ == 0) {
        starts[t] = System.nanoTime() - t0;
        cpu0 = threadCpuNanos();
      }
      long s = Math.max(startGfn, (firstChunk + c) * chunkPages);
      long e = Math.min(endGfn, (firstChunk + c + 1) * chunkPages);
      pt.walk(s, e, v);
    }
    ends[t] = System.nanoTime() - t0;
    counts[t] = k;
    cpu[t] = cpu0 < 0 ? -1 : threadCpuNanos() - cpu0;
  }

  /** This thread's CPU time (one clock_gettime per scan thread per scan), or -1. */
  private static long threadCpuNanos() {
    java.lang.management.ThreadMXBean b = java.lang.management.ManagementFactory.getThreadMXBean();
    return b.isCurrentThreadCpuTimeSupported() ? b.getCurrentThreadCpuTime() : -1;
  }

  private static HwScanVisitor await(Future<HwScanVisitor> f) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          interrupted = true; // a scan must finish: its PTE changes are half done otherwise
        } catch (ExecutionException e) {
          throw new IllegalStateException("dirty scan failed", e.getCause());
        }
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
