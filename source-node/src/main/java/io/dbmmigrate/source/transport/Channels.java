package io.dbmmigrate.source.transport;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * How the source builds its client channels, with every limit set deliberately:
 *
 * <ul>
 *   <li>credentials chosen by the caller: mutual TLS ({@code io.dbmmigrate.net.tls.TlsOptions}) or
 *       plaintext ({@link #open(HostPort)}, loopback and lab networks);
 *   <li>max inbound message {@value #MAX_INBOUND_BYTES} bytes: answers are small, except digests
 *       with per-chunk hashes (32 bytes + framing per 2 MiB: about 1.1 MiB for 64 GiB);
 *   <li>keepalive ping every {@value #KEEPALIVE_SECONDS} s, timeout {@value
 *       #KEEPALIVE_TIMEOUT_SECONDS} s, only while calls run — so a vanished destination is noticed
 *       during a long round; servers must permit it (the dest-node and serve do, at 10 s);
 *   <li>HTTP/2 flow-control window {@value #FLOW_CONTROL_WINDOW_BYTES} bytes per stream (instead of
 *       grpc-java's 1 MiB start), so a 1 MiB page batch does not wait for a window update;
 *   <li>gRPC retries disabled: page streams are never retried by gRPC (resume is the application's
 *       job), and without retries a call serializes each message inside {@code onNext} instead of
 *       keeping the message object for a possible replay — {@code PageBatchEncoder} relies on this
 *       to reuse its payload buffers (unary calls fail instead of being retried transparently;
 *       the engine classifies and handles those failures itself).
 * </ul>
 */
public final class Channels {
  public static final int MAX_INBOUND_BYTES = 16 << 20;
  public static final int KEEPALIVE_SECONDS = 30;
  public static final int KEEPALIVE_TIMEOUT_SECONDS = 10;
  public static final int FLOW_CONTROL_WINDOW_BYTES = 4 << 20;

  private Channels() {}

  /** A plaintext channel. */
  public static ManagedChannel open(HostPort target) {
    return open(target, InsecureChannelCredentials.create());
  }

  /** A channel with the given transport credentials (e.g. mutual TLS). */
  public static ManagedChannel open(HostPort target, ChannelCredentials credentials) {
    return NettyChannelBuilder.forAddress(target.host(), target.port(), credentials)
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .disableRetry()
        .build();
  }

  /** Shuts a channel down, forcing it after a grace period. */
  public static void close(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(2, TimeUnit.SECONDS)) channel.shutdownNow();
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
