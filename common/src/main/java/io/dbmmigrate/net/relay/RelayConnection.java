package io.dbmmigrate.net.relay;

import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One client connection and its connection to the target, with a {@link Pump} per direction.
 *
 * <p>Concurrency: {@code closed} is set once with compareAndSet by whichever comes first: both
 * directions ended cleanly ({@code cleanEnds} reaches 2), a pump failed ({@link #abort}), or the
 * relay cut the link ({@link #close(boolean)}); the winner closes queues and sockets, and the pumps'
 * threads then exit on their own (closed queue, closed socket).
 */
final class RelayConnection {
  private final Socket client;
  private final Socket target;
  private final ChunkQueue upQueue;
  private final ChunkQueue downQueue;
  private final Consumer<RelayConnection> onClosed;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger cleanEnds = new AtomicInteger();
  private Pump up;
  private Pump down;

  RelayConnection(
      Socket client, Socket target, long queueCapacityBytes, Consumer<RelayConnection> onClosed) {
    this.client = client;
    this.target = target;
    this.upQueue = new ChunkQueue(queueCapacityBytes);
    this.downQueue = new ChunkQueue(queueCapacityBytes);
    this.onClosed = onClosed;
  }

  Socket client() {
    return client;
  }

  Socket target() {
    return target;
  }

  ChunkQueue upQueue() {
    return upQueue;
  }

  ChunkQueue downQueue() {
    return downQueue;
  }

  /** Sets the pumps; called once before they start. */
  void setPumps(Pump up, Pump down) {
    this.up = up;
    this.down = down;
  }

  int maxQueuedChunks() {
    return Math.max(up == null ? 0 : up.maxQueuedChunks(), down == null ? 0 : down.maxQueuedChunks());
  }

  boolean isClosed() {
    return closed.get();
  }

  void directionFinished() {
    if (cleanEnds.incrementAndGet() == 2) close(false);
  }

  void abort(Exception cause) {
    close(false);
  }

  /**
   * Closes both sockets.
   *
   * @param reset true: abortive close (SO_LINGER 0, the peers see a reset), as a cut link
   */
  void close(boolean reset) {
    if (!closed.compareAndSet(false, true)) return;
    upQueue.close();
    downQueue.close();
    closeQuietly(client, reset);
    closeQuietly(target, reset);
    onClosed.accept(this);
  }

  private static void closeQuietly(Socket s, boolean reset) {
    try {
      if (reset) s.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // already closed
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
