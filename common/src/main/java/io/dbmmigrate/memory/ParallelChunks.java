package io.dbmmigrate.memory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs chunks {@code 0 .. n-1} of a one-off bulk job (preallocating or populating guest memory)
 * on a few threads, the caller's among them: each chunk exactly once, handed out by an atomic
 * counter, so a fast thread takes more. The first failure stops the others at their next chunk.
 *
 * <p>Memory ordering: every worker is joined before {@link #run} returns, so whatever the chunks
 * wrote happens-before the caller's next action (and before anyone the caller publishes to).
 */
final class ParallelChunks {
  /** One worker's way of doing a chunk's work (a worker may keep state, e.g. a buffer, in it). */
  interface Chunk {
    void run(int index) throws IOException;
  }

  private ParallelChunks() {}

  /**
   * Runs the chunks, each worker with its own {@code Chunk} from {@code perWorker} (called on the
   * worker's thread); returns the first failure, or null. An interrupt of the caller while it waits
   * for the workers is returned as an {@link InterruptedException} (the interrupt flag is set
   * again); the workers stop at their next chunk.
   */
  static Throwable run(int n, int threads, String threadName, Supplier<Chunk> perWorker) {
    if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
    AtomicInteger next = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable worker =
        () -> {
          try {
            Chunk chunk = perWorker.get();
            for (int c = next.getAndIncrement(); c < n && failure.get() == null; c = next.getAndIncrement())
              chunk.run(c);
          } catch (IOException | RuntimeException | Error e) {
            failure.compareAndSet(null, e);
          }
        };
    List<Thread> workers = new ArrayList<>();
    for (int i = 1; i < Math.min(threads, n); i++) {
      Thread t = new Thread(worker, threadName + "-" + i);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
    worker.run();
    boolean interrupted = false;
    for (Thread t : workers) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
          failure.compareAndSet(null, e); // the workers stop at their next chunk
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    return failure.get();
  }
}
