package io.dbmmigrate.dirty;

import io.dbmmigrate.mmu.Stage2PageTable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Parallel scan of the leaf PTEs of a gfn range for hardware-dirty entries. The range is cut into
 * chunks of {@code chunkPages} (default 512 MiB of guest memory); the calling thread and {@code
 * threads - 1} workers of a long-lived pool claim chunks from a shared cursor (work stealing by
 * {@code getAndIncrement}) until none is left.
 *
 * <p>Concurrency: one scan at a time (the dirty log serializes its control operations); a scan's
 * visitors are private to their thread and summed after all have finished (Future.get gives the
 * happens-before). The pool's threads are daemons and live until {@link #close}.
 */
final class HwScanner implements AutoCloseable {
  private final Stage2PageTable pt;
  private final ThreadPoolExecutor pool;

  HwScanner(Stage2PageTable pt) {
    this.pt = pt;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            1,
            1,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "dirty-scan-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
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

  record Result(long visited, long dirty, int threads) {}

  /**
   * Scans {@code [startGfn, endGfn)}; hardware-dirty pages go into {@code out} (bit of gfn g is bit
   * {@code (g - outBaseGfn) & 63} of word {@code (g - outBaseGfn) >>> 6}); with {@code clearWrite}
   * their write bit is cleared (the caller invalidates the TLB afterwards). With {@code
   * ownsOutWords} nobody else writes {@code out} meanwhile, and each scan thread updates the words
   * of its chunks with plain stores (see {@link HwScanVisitor}); the join publishes them.
   */
  Result scan(
      long startGfn, long endGfn, long[] out, long outBaseGfn, boolean clearWrite, int threads,
      long chunkPagesRequested, boolean ownsOutWords) {
    // Chunks of whole 64-page bitmap words (a power of two >= 64 pages), so that with
    // ownsOutWords each word of out has exactly one writer.
    final long chunkPages = Math.max(64, chunkPagesRequested);
    if (ownsOutWords && (((startGfn - outBaseGfn) & 63) != 0 || (startGfn & 63) != 0))
      throw new IllegalArgumentException("scan range must start on a bitmap word");
    final long firstChunk = startGfn / chunkPages;
    final long lastChunk = (endGfn - 1) / chunkPages;
    final int chunks = (int) (lastChunk - firstChunk + 1);
    final int n = Math.max(1, Math.min(threads, chunks));
    final AtomicInteger cursor = new AtomicInteger();
    HwScanVisitor[] visitors = new HwScanVisitor[n];
    @SuppressWarnings("unchecked")
    Future<?>[] futures = new Future<?>[n];
    for (int t = 0; t < n; t++) visitors[t] = new HwScanVisitor(out, outBaseGfn, clearWrite, ownsOutWords);
    for (int t = 1; t < n; t++) {
      HwScanVisitor v = visitors[t];
      futures[t] = pool.submit(() -> runChunks(cursor, chunks, firstChunk, chunkPages, startGfn, endGfn, v));
    }
    runChunks(cursor, chunks, firstChunk, chunkPages, startGfn, endGfn, visitors[0]);
    long visited = 0;
    long dirty = 0;
    for (int t = 0; t < n; t++) {
      if (t > 0) await(futures[t]);
      visited += visitors[t].visited;
      dirty += visitors[t].dirty;
    }
    return new Result(visited, dirty, n);
  }

  private void runChunks(
      AtomicInteger cursor, int chunks, long firstChunk, long chunkPages, long startGfn,
      long endGfn, HwScanVisitor v) {
    int c;
    while ((c = cursor.getAndIncrement()) < chunks) {
      long s = Math.max(startGfn, (firstChunk + c) * chunkPages);
      long e = Math.min(endGfn, (firstChunk + c + 1) * chunkPages);
      pt.walk(s, e, v);
    }
  }

  private static void await(Future<?> f) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          f.get();
          return;
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
