package io.dbmmigrate.source.bench;

import io.dbmmigrate.util.ByteSize;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Raw TCP loopback baseline for {@code deploy/bench.sh transfer}: one connection, a sender writing
 * 1 MiB direct buffers and a sink reading and discarding them, as fast as the kernel and one core
 * each allow. Prints {@code RAW_TCP_MBPS=<MB/s>} (MB = 10^6 bytes).
 *
 * <p>Usage: {@code java -cp source-node-all.jar io.dbmmigrate.source.bench.RawTcpThroughput [SIZE]}
 * (default 4g).
 */
public final class RawTcpThroughput {
  private static final int BUFFER_BYTES = 1 << 20;

  private RawTcpThroughput() {}

  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? ByteSize.parse(args[0]) : 4L << 30;
    double mbps = measure(total);
    System.out.printf(Locale.ROOT, "RAW_TCP_MBPS=%.1f%n", mbps);
  }

  /** Sends {@code total} bytes over loopback; MB/s from connect until the sink saw EOF. */
  static double measure(long total) throws IOException, InterruptedException {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
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
                    int r = c.read(buf);
                    if (r < 0) break;
                    n += r;
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
