package io.dbmmigrate.net.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user-space TCP relay that emulates a network path where the kernel cannot (no netem): it
 * forwards every connection made to {@code listenPort} to {@code targetHost:targetPort}, adding a
 * one-way delay with jitter in each direction (so RTT = 2 × delay), optionally at a limited rate,
 * and it can stall (forward nothing, keep the connections) or cut (reset) every connection.
 *
 * <p>The delay is a release timestamp per chunk (see {@link Pump}), so many chunks are in flight at
 * once and the delay does not throttle bandwidth: one connection gets up to {@code
 * queueCapacityBytes / delay}, like a TCP window.
 *
 * <p>Implementation: blocking sockets, a reader and a writer thread per direction per connection
 * (four threads per connection). Chosen over Netty because the relay serves a handful of
 * connections, the blocking code shows the per-chunk timestamp plainly, and it adds no dependency
 * to common (whose only Netty is grpc-netty-shaded's, which is not public API).
 *
 * <p>Concurrency: the delay setting is an immutable record behind a volatile field; the stall flag
 * lives in a {@link StallGate}; the rate in a {@link LinkPacer} per direction. Open connections are
 * in a concurrent set: added by the accept thread, removed by whoever closes them. {@link
 * #closeAll} and {@link #close} may race with accepts; a connection accepted during {@link #close}
 * is closed by the accept thread when it sees {@code closed}.
 *
 * <p>Usage (issue 6's failure tests cut links with it):
 *
 * <pre>{@code
 * try (Relay relay = Relay.start(0, "127.0.0.1", destPort, 25, 2)) {
 *   ... connect to relay.port() ...
 *   relay.setStalled(true);   // link silently stops delivering
 *   relay.closeAll();         // every connection reset; new connections are still accepted
 *   relay.setLinkDown(true);  // cut link: every connection reset, new ones reset at once
 * }
 * }</pre>
 */
public final class Relay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Relay.class);

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final RelayOptions options;
  private final LongSupplier nanoClock;
  private final Set<RelayConnection> open = ConcurrentHashMap.newKeySet();
  private final StallGate gate = new StallGate();
  private final LinkPacer upPacer;
  private final LinkPacer downPacer;
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicInteger threadSeq = new AtomicInteger();
  private final AtomicInteger maxQueuedChunksClosed = new AtomicInteger();
  private final ThreadFactory threads;
  private volatile DelaySchedule.Setting delay;
  private volatile boolean closed;
  private volatile boolean linkDown;
  private final AtomicLong refused = new AtomicLong();

  private Relay(
      ServerSocket server,
      InetSocketAddress target,
      DelaySchedule.Setting delay,
      RelayOptions options,
      LongSupplier nanoClock) {
    this.server = server;
    this.target = target;
    this.delay = delay;
    this.options = options;
    this.nanoClock = nanoClock;
    this.upPacer = new LinkPacer(options.rateBytesPerSec());
    this.downPacer = new LinkPacer(options.rateBytesPerSec());
    final int port = server.getLocalPort();
    this.threads =
        r -> {
          Thread t = new Thread(r, "relay-" + port + "-" + threadSeq.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
  }

  /** Starts a relay on 127.0.0.1:{@code listenPort} (0: ephemeral) with default options. */
  public static Relay start(
      int listenPort, String targetHost, int targetPort, long oneWayDelayMillis, long jitterMillis)
      throws IOException {
    return start(listenPort, targetHost, targetPort, oneWayDelayMillis, jitterMillis, RelayOptions.defaults());
  }

  public static Relay start(
      int listenPort,
      String targetHost,
      int targetPort,
      long oneWayDelayMillis,
      long jitterMillis,
      RelayOptions options)
      throws IOException {
    if (listenPort < 0 || listenPort > 65535) throw new IllegalArgumentException("bad listen port " + listenPort);
    if (targetPort < 1 || targetPort > 65535) throw new IllegalArgumentException("bad target port " + targetPort);
    DelaySchedule.Setting setting = setting(oneWayDelayMillis, jitterMillis);
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(options.bindAddress()), listenPort), 128);
    Relay relay =
        new Relay(server, new InetSocketAddress(targetHost, targetPort), setting, options, System::nanoTime);
    Thread acceptor = relay.threads.newThread(relay::acceptLoop);
    acceptor.start();
    log.info(
        "relay {}:{} -> {}:{} delay {} ms jitter {} ms rate {} B/s",
        options.bindAddress(), relay.port(), targetHost, targetPort, oneWayDelayMillis, jitterMillis,
        options.rateBytesPerSec());
    return relay;
  }

  private static DelaySchedule.Setting setting(long oneWayDelayMillis, long jitterMillis) {
    if (oneWayDelayMillis < 0 || jitterMillis < 0)
      throw new IllegalArgumentException("delay and jitter must be >= 0");
    return new DelaySchedule.Setting(
        TimeUnit.MILLISECONDS.toNanos(oneWayDelayMillis), TimeUnit.MILLISECONDS.toNanos(jitterMillis));
  }

  /** The port the relay listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Changes the one-way delay and jitter for chunks read from now on. */
  public void setDelay(long oneWayDelayMillis, long jitterMillis) {
    this.delay = setting(oneWayDelayMillis, jitterMillis);
  }

  /** Changes the one-way delay and jitter, in microseconds, for chunks read from now on. */
  public void setDelayMicros(long oneWayDelayMicros, long jitterMicros) {
    if (oneWayDelayMicros < 0 || jitterMicros < 0)
      throw new IllegalArgumentException("delay and jitter must be >= 0");
    this.delay =
        new DelaySchedule.Setting(
            TimeUnit.MICROSECONDS.toNanos(oneWayDelayMicros), TimeUnit.MICROSECONDS.toNanos(jitterMicros));
  }

  /** Changes the link rate per direction (0 = unlimited). */
  public void setRateBytesPerSec(long rateBytesPerSec) {
    upPacer.setRate(rateBytesPerSec);
    downPacer.setRate(rateBytesPerSec);
  }

  /**
   * Stalls (true) or resumes (false) forwarding on every connection, open and future. While stalled
   * the relay keeps accepting and reading until its queues are full, and delivers nothing.
   */
  public void setStalled(boolean stalled) {
    gate.set(stalled);
  }

  public boolean isStalled() {
    return gate.isStalled();
  }

  /**
   * Cuts every open connection with a reset (both the client and the target side see it). The
   * relay keeps listening: a client that reconnects gets a fresh connection.
   *
   * @return how many connections were cut
   */
  public int closeAll() {
    List<RelayConnection> snapshot = new ArrayList<>(open);
    for (RelayConnection c : snapshot) c.close(true);
    if (!snapshot.isEmpty()) log.info("relay {}: cut {} connection(s)", port(), snapshot.size());
    return snapshot.size();
  }

  /**
   * Takes the link down (true: every open connection is cut with a reset, and every connection
   * made while it is down is reset as soon as it is accepted, so a client's reconnection attempts
   * fail) or up again (false: new connections are forwarded). A cut link, as with {@code ip link
   * set ... down}, for the tests that need no root.
   *
   * <p>Ordering: the flag is set before the open connections are cut, and the accept thread
   * checks it after each accept, so no connection accepted after this call is forwarded.
   */
  public void setLinkDown(boolean down) {
    linkDown = down;
    if (down) closeAll();
    log.info("relay {}: link {}", port(), down ? "down" : "up");
  }

  public boolean isLinkDown() {
    return linkDown;
  }

  /** Connections reset at accept because the link was down. */
  public long refusedWhileDown() {
    return refused.get();
  }

  public RelayStats stats() {
    int maxQueued = maxQueuedChunksClosed.get();
    for (RelayConnection c : open) maxQueued = Math.max(maxQueued, c.maxQueuedChunks());
    return new RelayStats(accepted.get(), open.size(), bytesUp.get(), bytesDown.get(), maxQueued);
  }

  /** Stops listening and cuts every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    closeAll();
    gate.set(false);
  }

  private void acceptLoop() {
    while (!closed) {
      final Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) log.warn("relay {}: accept failed: {}", port(), e.toString());
        return;
      }
      accepted.incrementAndGet();
      if (linkDown) {
        refused.incrementAndGet();
        resetQuietly(client);
        continue;
      }
      try {
        connect(client);
      } catch (IOException e) {
        log.warn("relay {}: cannot reach {}: {}", port(), target, e.toString());
        resetQuietly(client);
      }
    }
  }

  private static void resetQuietly(Socket client) {
    try {
      client.setSoLinger(true, 0);
      client.close();
    } catch (IOException ignored) {
      // the client sees the reset
    }
  }

  private void connect(Socket client) throws IOException {
    final Socket upstream = new Socket();
    try {
      upstream.connect(target, options.connectTimeoutMillis());
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
    } catch (IOException e) {
      upstream.close();
      throw e;
    }
    RelayConnection conn =
        new RelayConnection(
            client,
            upstream,
            options.queueCapacityBytes(),
            c -> {
              open.remove(c);
              maxQueuedChunksClosed.accumulateAndGet(c.maxQueuedChunks(), Math::max);
            });
    long seed = options.seed() * 31 + accepted.get();
    Pump up =
        new Pump(client, upstream, conn.upQueue(), new DelaySchedule(() -> delay, seed), upPacer, gate,
            bytesUp, conn, options.chunkBytes(), nanoClock);
    Pump down =
        new Pump(upstream, client, conn.downQueue(), new DelaySchedule(() -> delay, ~seed), downPacer,
            gate, bytesDown, conn, options.chunkBytes(), nanoClock);
    conn.setPumps(up, down);
    open.add(conn);
    if (closed || linkDown) { // closed or taken down while this one was being connected
      conn.close(true);
      return;
    }
    up.start(threads);
    down.start(threads);
  }
}
