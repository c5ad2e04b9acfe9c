package io.dbmmigrate.net.relay;

import io.dbmmigrate.net.relay.ChunkQueue.Chunk;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * One direction of one relayed connection: a reader thread and a writer thread joined by a {@link
 * ChunkQueue}.
 *
 * <ol>
 *   <li>The reader reads up to {@code chunkBytes} from {@code from}, waits for the link pacer
 *       (serialization at the configured rate; none when unlimited), stamps the chunk with its
 *       release time ({@link DelaySchedule}) and enqueues it. It never waits for the delay.
 *   <li>The writer takes chunks in order, waits until each one's release time, waits while the
 *       relay is stalled, and writes it to {@code to}. End of stream becomes {@code
 *       shutdownOutput()} on {@code to}, delayed like data.
 * </ol>
 *
 * <p>Concurrency: the reader owns the read buffer and the schedule; the writer owns the output
 * stream; they share only the queue. Ends are reported to the {@link RelayConnection}, which closes
 * the sockets and the queue (both threads then exit).
 */
final class Pump {
  private final Socket from;
  private final Socket to;
  private final ChunkQueue queue;
  private final DelaySchedule schedule;
  private final LinkPacer pacer;
  private final StallGate gate;
  private final AtomicLong bytesForwarded;
  private final RelayConnection connection;
  private final int chunkBytes;
  private final LongSupplier nanoClock;

  Pump(
      Socket from,
      Socket to,
      ChunkQueue queue,
      DelaySchedule schedule,
      LinkPacer pacer,
      StallGate gate,
      AtomicLong bytesForwarded,
      RelayConnection connection,
      int chunkBytes,
      LongSupplier nanoClock) {
    this.from = from;
    this.to = to;
    this.queue = queue;
    this.schedule = schedule;
    this.pacer = pacer;
    this.gate = gate;
    this.bytesForwarded = bytesForwarded;
    this.connection = connection;
    this.chunkBytes = chunkBytes;
    this.nanoClock = nanoClock;
  }

  void start(ThreadFactory threads) {
    threads.newThread(this::readLoop).start();
    threads.newThread(this::writeLoop).start();
  }

  private void readLoop() {
    final byte[] buf = new byte[chunkBytes];
    try {
      final InputStream in = from.getInputStream();
      while (true) {
        final int n = in.read(buf);
        long now = nanoClock.getAsLong();
        if (n < 0) {
          queue.put(Chunk.endOfStream(schedule.releaseAtNanos(now)));
          return;
        }
        final long serializedAt = pacer.reserve(now, n);
        sleepUntil(serializedAt);
        if (!queue.put(new Chunk(Arrays.copyOf(buf, n), n, schedule.releaseAtNanos(serializedAt))))
          return;
      }
    } catch (IOException | InterruptedException e) {
      connection.abort(e);
    }
  }

  private void writeLoop() {
    try {
      final OutputStream out = to.getOutputStream();
      while (true) {
        final Chunk c = queue.take();
        if (c == null) return;
        sleepUntil(c.releaseNanos());
        if (!gate.awaitOpen(connection::isClosed)) return;
        if (c.isEndOfStream()) {
          to.shutdownOutput();
          connection.directionFinished();
          return;
        }
        out.write(c.data(), 0, c.length());
        bytesForwarded.addAndGet(c.length());
      }
    } catch (IOException | InterruptedException e) {
      connection.abort(e);
    }
  }

  private void sleepUntil(long deadlineNanos) {
    long remaining;
    while ((remaining = deadlineNanos - nanoClock.getAsLong()) > 0 && !connection.isClosed())
      LockSupport.parkNanos(Math.min(remaining, 50_000_000L));
  }

  int maxQueuedChunks() {
    return queue.maxQueuedChunks();
  }
}
