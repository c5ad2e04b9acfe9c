package io.dbmmigrate.wire;

import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Makes the server builder that {@link GrpcServers#start} fills with services: Netty on a socket
 * in the nodes ({@link #netty}), an in-process transport in tests that run the real source session
 * against the real destination service without sockets.
 */
@FunctionalInterface
public interface ServerTransport {
  /** A builder bound per {@code settings} (address, credentials, inbound message limit). */
  ServerBuilder<?> newBuilder(GrpcServers.Settings settings);

  /**
   * Netty on {@code settings}' address, with every limit of {@code tuning}; page batches applied
   * per {@link PageExecutor#DEFAULT}.
   */
  static ServerTransport netty(TransportTuning tuning) {
    return netty(tuning, PageExecutor.DEFAULT);
  }

  /**
   * Netty on {@code settings}' address, with every limit of {@code tuning}; the page-batch calls'
   * handlers run per {@code pageExecutor}, every other call on gRPC's default executor.
   */
  static ServerTransport netty(TransportTuning tuning, PageExecutor pageExecutor) {
    return settings ->
        NettyServerBuilder.forAddress(
                new InetSocketAddress(settings.bindAddress(), settings.port()),
                BulkInboundCredentials.wrap(settings.credentials(), tuning.maxFrameBytes()))
            .maxInboundMessageSize(settings.maxInboundMessageBytes())
            .maxInboundMetadataSize(tuning.maxInboundMetadataBytes())
            .flowControlWindow(tuning.flowControlWindowBytes())
            // Clients ping every tuning.clientKeepAlive(); permit it (also without calls) so that
            // they are not GOAWAY'd (TransportTuning checks permit <= client interval).
            .permitKeepAliveTime(tuning.permitKeepAlive().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true)
            .keepAliveTime(tuning.serverKeepAlive().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(tuning.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .callExecutor(pageExecutor.serverCalls());
  }
}
