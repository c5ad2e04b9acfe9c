package io.dbmmigrate.wire;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the gRPC servers of both nodes the same way: a transport ({@link ServerTransport}: Netty
 * with the shared {@link TransportTuning} in the nodes, in-process in tests), deliberate
 * message-size limit, the standard health and reflection services, and the application services.
 * A {@link PageBatchReceiver} gets its page batches in place ({@link PageStreamBinding}).
 */
public final class GrpcServers {
  private GrpcServers() {}

  /**
   * Server settings.
   *
   * @param bindAddress address to bind ("0.0.0.0" for all interfaces)
   * @param port port, 0 for an ephemeral one
   * @param maxInboundMessageBytes largest message accepted (a page batch plus headers)
   * @param credentials transport credentials (plaintext only when asked for explicitly)
   * @param interceptors applied to every application service (e.g. authorization)
   */
  public record Settings(
      String bindAddress,
      int port,
      int maxInboundMessageBytes,
      ServerCredentials credentials,
      List<ServerInterceptor> interceptors) {
    public static Settings plaintext(String bindAddress, int port, int maxInboundMessageBytes) {
      return new Settings(
          bindAddress, port, maxInboundMessageBytes, InsecureServerCredentials.create(), List.of());
    }
  }

  /** A started server and its health manager. */
  public record Running(Server server, HealthStatusManager health) {
    public int port() {
      return server.getPort();
    }

    /** Stops accepting calls, waits up to timeoutMillis for running ones, then forces. */
    public void shutdown(long timeoutMillis) {
      health.enterTerminalState();
      server.shutdown();
      try {
        if (!server.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS)) server.shutdownNow();
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts a Netty server ({@link TransportTuning#DEFAULT}) with the services plus health and reflection. */
  public static Running start(Settings settings, List<BindableService> services)
      throws IOException {
    return start(ServerTransport.netty(TransportTuning.DEFAULT), settings, services);
  }

  /** Starts a server on the given transport with the services plus health and reflection. */
  public static Running start(ServerTransport transport, Settings settings, List<BindableService> services)
      throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    ServerBuilder<?> b =
        transport
            .newBuilder(settings)
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance());
    List<String> names = new ArrayList<>();
    for (BindableService s : services) {
      // Page batches are read in place from the network buffers (no-op for other services).
      b.addService(ServerInterceptors.intercept(PageStreamBinding.bind(s), settings.interceptors()));
      names.add(s.bindService().getServiceDescriptor().getName());
    }
    Server server = b.build().start();
    health.setStatus("", ServingStatus.SERVING);
    for (String n : names) health.setStatus(n, ServingStatus.SERVING);
    return new Running(server, health);
  }
}
