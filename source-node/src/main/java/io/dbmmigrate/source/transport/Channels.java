package io.dbmmigrate.source.transport;

import io.dbmmigrate.wire.ChannelTransport;
import io.dbmmigrate.wire.TransportTuning;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/**
 * The source's channels to a node: opened through a {@link ChannelTransport} (Netty with {@link
 * TransportTuning#DEFAULT} unless one is passed in), credentials chosen by the caller — mutual TLS
 * ({@code io.dbmmigrate.net.tls.TlsOptions}) or plaintext (loopback and lab networks).
 */
public final class Channels {
  /** The nodes' transport: Netty with the tuning the servers are built with. */
  public static final ChannelTransport DEFAULT = ChannelTransport.netty(TransportTuning.DEFAULT);

  private Channels() {}

  /** A plaintext channel. */
  public static ManagedChannel open(HostPort target) {
    return open(target, InsecureChannelCredentials.create());
  }

  /** A channel with the given transport credentials (e.g. mutual TLS). */
  public static ManagedChannel open(HostPort target, ChannelCredentials credentials) {
    return open(DEFAULT, target, credentials);
  }

  /** A channel over the given transport. */
  public static ManagedChannel open(ChannelTransport transport, HostPort target, ChannelCredentials credentials) {
    return transport.open(target.host(), target.port(), credentials);
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
