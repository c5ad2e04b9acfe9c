package io.dbmmigrate.source.bench;

import io.dbmmigrate.memory.BackingFile;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.util.ByteSize;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Raw TCP loopback baselines for {@code deploy/bench.sh transfer}: one connection, a sender writing
 * 1 MiB direct buffers and a sink reading them, as fast as the kernel and one core each allow.
 *
 * <ul>
 *   <li>{@code RAW_TCP_MBPS}: the sink discards what it reads (the baseline: the network
 *       path alone).
 *   <li>{@code RAW_TCP_PLACE_FRESH_MBPS}: the sink also places each MiB as pages into a sparse
 *       guest memory ({@link ChunkedGuestMemory}: a positional write into tmpfs), as a destination
 *       places guest pages into memory it backs on the way; on a host that charges for fresh pages
 *       this is the ceiling of any receiver that does.
 *   <li>{@code RAW_TCP_PLACE_BACKED_MBPS}: the same into a guest memory preallocated and mapped
 *       before the clock starts ({@link ChunkedGuestMemory#preallocated}, as {@code dest-node
 *       --prealloc-ram} makes it: a copy through the mapping).
 * </ul>
 *
 * MB = 10^6 bytes. Usage: {@code java -cp source-node-all.jar
 * io.dbmmigrate.source.bench.RawTcpThroughput [SIZE] [discard|fresh|backed...]} (default 4g, all
 * three).
 */
public final class RawTcpThroughput {
  private static final int BUFFER_BYTES = 1 << 20;

  private RawTcpThroughput() {}

  /** What the sink does with each MiB it reads. */
  enum Sink {
    DISCARD("RAW_TCP_MBPS"),
    FRESH("RAW_TCP_PLACE_FRESH_MBPS"),
    BACKED("RAW_TCP_PLACE_BACKED_MBPS");

    final String line;

    Sink(String line) {
      this.line = line;
    }
  }

  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? ByteSize.parse(args[0]) : 4L << 30;
    List<Sink> sinks = new ArrayList<>();
    for (int i = 1; i < args.length; i++) sinks.add(Sink.valueOf(args[i].toUpperCase(Locale.ROOT)));
    if (sinks.isEmpty()) sinks.addAll(List.of(Sink.values()));
    for (Sink sink : sinks) System.out.printf(Locale.ROOT, "%s=%.1f%n", sink.line, measure(total, sink));
  }

  static double measure(long total) throws IOException, InterruptedException {
    return measure(total, Sink.DISCARD);
  }

  /**
   * Sends {@code total} bytes over loopback; MB/s from connect until the sink saw EOF (and placed
   * the last MiB). A placing sink's file is created (and, for BACKED, preallocated) before.
   */
  static double measure(long total, Sink kind) throws IOException, InterruptedException {
    if (kind != Sink.DISCARD && total % GuestMemory.PAGE_SIZE != 0)
      throw new IllegalArgumentException("a placing sink needs whole pages, not " + total + " bytes");
    List<MemorySlotSpec> layout = List.of(new MemorySlotSpec(0, "ram", 0, total / GuestMemory.PAGE_SIZE, false));
    ChunkedGuestMemory memory =
        switch (kind) {
          case DISCARD -> null;
          case FRESH -> new ChunkedGuestMemory(layout);
          case BACKED ->
              ChunkedGuestMemory.preallocated(
                  layout, BackingFile.defaultDir(), Runtime.getRuntime().availableProcessors());
        };
    try (ServerSocketChannel server = ServerSocketChannel.open();
        ChunkedGuestMemory placed = memory) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      AtomicLong received = new AtomicLong();
      Thread sink =
          new Thread(
              () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES);
                try (SocketChannel c = server.accept()) {
                  long n = 0;
                  while (true) {
                    buf.clear();
                    int r = 0;
                    while (buf.hasRemaining() && (r = c.read(buf)) >= 0) {}
                    buf.flip();
                    if (placed != null) // whole pages: the buffer fills up but at the end, and the total is pages
                      placed.writePages(n / GuestMemory.PAGE_SIZE, buf.limit() / GuestMemory.PAGE_SIZE, buf, 0);
                    n += buf.limit();
                    if (r < 0) break;
                  }
                  received.set(n);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              },
              "raw-tcp-sink");
      sink.start();
      ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES);
      for (int i = 0; i < BUFFER_BYTES; i++) buf.put(i, (byte) (i * 31 + 7));
      long t0 = System.nanoTime();
      try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
        long sent = 0;
        while (sent < total) {
          buf.clear();
          if (total - sent < BUFFER_BYTES) buf.limit((int) (total - sent));
          while (buf.hasRemaining()) sent += c.write(buf);
        }
      }
      sink.join();
      long nanos = System.nanoTime() - t0;
      if (received.get() != total) throw new IOException("sink got " + received.get() + " of " + total + " bytes");
      return total / (nanos / 1e9) / 1e6;
    }
  }
}
