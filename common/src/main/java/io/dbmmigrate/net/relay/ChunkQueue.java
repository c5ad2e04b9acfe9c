package io.dbmmigrate.net.relay;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The chunks of one relay direction that have been read but not yet written: single producer (the
 * reader), single consumer (the writer), bounded by bytes. The bound is the relay's "window": a
 * full queue blocks the reader, so the sender's socket buffer fills and TCP flow control pushes
 * back, as a full network path would.
 *
 * <p>Concurrency: every field is guarded by {@code lock}; {@link #close} may be called from any
 * thread and wakes both sides.
 */
final class ChunkQueue {
  /** A chunk of bytes (or, with {@code length == -1}, the end of the stream) and when it may leave. */
  record Chunk(byte[] data, int length, long releaseNanos) {
    static Chunk endOfStream(long releaseNanos) {
      return new Chunk(new byte[0], -1, releaseNanos);
    }

    boolean isEndOfStream() {
      return length < 0;
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition notFull = lock.newCondition();
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private final long capacityBytes;
  private long queuedBytes;
  private int maxQueuedChunks;
  private boolean closed;

  ChunkQueue(long capacityBytes) {
    if (capacityBytes < 1) throw new IllegalArgumentException("capacity must be >= 1 byte");
    this.capacityBytes = capacityBytes;
  }

  /**
   * Appends a chunk, waiting while the queue is full (a chunk larger than the capacity is admitted
   * into an empty queue).
   *
   * @return false when the queue was closed
   */
  boolean put(Chunk chunk) throws InterruptedException {
    final long size = Math.max(chunk.length(), 0);
    lock.lockInterruptibly();
    try {
      while (!closed && !chunks.isEmpty() && queuedBytes + size > capacityBytes) notFull.await();
      if (closed) return false;
      chunks.addLast(chunk);
      queuedBytes += size;
      maxQueuedChunks = Math.max(maxQueuedChunks, chunks.size());
      notEmpty.signal();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The oldest chunk, waiting for one; null once the queue is closed. */
  Chunk take() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      while (!closed && chunks.isEmpty()) notEmpty.await(100, TimeUnit.MILLISECONDS);
      if (closed) return null;
      Chunk c = chunks.removeFirst();
      queuedBytes -= Math.max(c.length(), 0);
      notFull.signal();
      return c;
    } finally {
      lock.unlock();
    }
  }

  void close() {
    lock.lock();
    try {
      closed = true;
      chunks.clear();
      queuedBytes = 0;
      notEmpty.signalAll();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The most chunks ever queued at once (more than one means chunks overlapped in flight). */
  int maxQueuedChunks() {
    lock.lock();
    try {
      return maxQueuedChunks;
    } finally {
      lock.unlock();
    }
  }
}
