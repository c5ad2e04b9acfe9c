package io.dbmmigrate.dest;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.snapshot.WriteProtectSnapshot;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The destination's hashing of a resumed VM (verify mode BACKGROUND): a write-protect snapshot
 * taken before the resume is hashed on a thread of its own while the guest runs; the digest is the
 * image as of the resume. The snapshot is closed as soon as the hashing ends (the guest then pays
 * no more write-protect faults) or when {@link #cancel} is called.
 *
 * <p>Concurrency: started once by the committing thread; {@link #await} from the Verify call's
 * thread; {@link #cancel} from anyone (idempotent, waits for the hashing thread to stop).
 */
final class BackgroundVerification {
  final String sessionId;
  private final WriteProtectSnapshot snapshot;
  private final CompletableFuture<Digest> digest = new CompletableFuture<>();
  private final Thread thread;
  private volatile boolean stop;
  private volatile long pagesCopied;

  BackgroundVerification(String sessionId, WriteProtectSnapshot snapshot, MemoryDigester digester) {
    this.sessionId = sessionId;
    this.snapshot = snapshot;
    this.thread =
        new Thread(
            () -> {
              try {
                digest.complete(digester.digest(snapshot, null, () -> stop));
              } catch (RuntimeException e) {
                digest.completeExceptionally(e);
              } finally {
                pagesCopied = snapshot.pagesCopied();
                snapshot.close();
              }
            },
            "verify-background-" + sessionId);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Pages whose content as of the resume was saved before a guest write (known once done). */
  long pagesCopied() {
    return pagesCopied;
  }

  /**
   * The snapshot's digest, waiting at most timeoutMillis while the caller is there.
   *
   * @throws CancellationException when the hashing was cancelled
   * @throws TimeoutException when it did not finish in time or the caller left
   */
  Digest await(long timeoutMillis, BooleanSupplier callerGone) throws TimeoutException, InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      try {
        return digest.get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (callerGone.getAsBoolean() || System.nanoTime() - deadline > 0) throw e;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof CancellationException c) throw c;
        throw new IllegalStateException("background hashing failed", e.getCause());
      }
    }
  }

  /** Stops the hashing, waits for its thread (bounded) and closes the snapshot. Idempotent. */
  void cancel() {
    stop = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    snapshot.close();
  }
}
