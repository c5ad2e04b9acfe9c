package io.dbmmigrate.wire;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * Opens the client channels of the source (one control channel, one per page stream): Netty over
 * TCP in the nodes ({@link #netty}), an in-process transport in tests that run the real source
 * session against the real destination service. The client half of {@link ServerTransport}.
 */
@FunctionalInterface
public interface ChannelTransport {
  /** A new channel to {@code host:port} with the given credentials (mutual TLS or plaintext). */
  ManagedChannel open(String host, int port, ChannelCredentials credentials);

  /**
   * Netty with every limit of {@code tuning}:
   *
   * <ul>
   *   <li>max inbound message {@link TransportTuning#clientMaxInboundMessageBytes()};
   *   <li>keepalive ping every {@link TransportTuning#clientKeepAlive()}, only while calls run, so a
   *       vanished destination is noticed during a long round (servers built from the same tuning
   *       permit it);
   *   <li>the shared HTTP/2 flow-control window, so a 1 MiB page batch does not wait for a window
   *       update;
   *   <li>gRPC retries disabled: page streams are never retried by gRPC (resume is the
   *       application's job), and without retries a call serializes each message inside {@code
   *       onNext} instead of keeping the message object for a possible replay — a page stream's
   *       {@code OutboundBatch} is drained there, from guest memory and the encoder's reused
   *       buffers (unary calls fail instead of being retried transparently; the engine classifies
   *       and handles those failures).
   * </ul>
   */
  static ChannelTransport netty(TransportTuning tuning) {
    return (host, port, credentials) ->
        NettyChannelBuilder.forAddress(host, port, credentials)
            .maxInboundMessageSize(tuning.clientMaxInboundMessageBytes())
            .keepAliveTime(tuning.clientKeepAlive().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(tuning.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveWithoutCalls(false)
            .flowControlWindow(tuning.flowControlWindowBytes())
            .disableRetry()
            .build();
  }
}
