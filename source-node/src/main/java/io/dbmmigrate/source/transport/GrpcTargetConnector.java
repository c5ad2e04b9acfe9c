package io.dbmmigrate.source.transport;

import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.VmLayout;
import io.dbmmigrate.source.migration.SessionOptions;
import io.dbmmigrate.source.migration.TargetConnector;
import io.dbmmigrate.source.migration.TargetSession;
import io.dbmmigrate.source.migration.TransferException;
import io.dbmmigrate.source.migration.VmShape;
import io.dbmmigrate.wire.ChannelTransport;
import io.dbmmigrate.wire.PageExecutor;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * Opens sessions on a destination's MigrationTarget service over gRPC. Thread-safe; {@link
 * #warmUp} pre-connects the control channel that the next {@link #open} then uses.
 */
public final class GrpcTargetConnector implements TargetConnector {
  /** Per-message framing around a batch payload (session id, counters, CRC), generously. */
  static final int BATCH_OVERHEAD_BYTES = 4096;

  public static final int PROTOCOL_VERSION = io.dbmmigrate.wire.PageBatchFormat.CONTRACT_VERSION;

  private final HostPort target;
  private final String sourceId;
  private final long rpcTimeoutMillis;
  private final long streamStallMillis;
  private final ChannelCredentials credentials;
  private final ChannelTransport transport;
  private final PageExecutor pageExecutor;
  private ManagedChannel warmChannel; // guarded by this; handed to the first session

  /** Plaintext, the page streams' callbacks per {@link PageExecutor#DEFAULT}. */
  public GrpcTargetConnector(
      HostPort target, String sourceId, long rpcTimeoutMillis, long streamStallMillis) {
    this(
        target, sourceId, rpcTimeoutMillis, streamStallMillis, InsecureChannelCredentials.create(),
        PageExecutor.DEFAULT);
  }

  /**
   * With the given transport credentials for every channel to the destination (e.g. mutual TLS),
   * the page streams' callbacks run per {@code pageExecutor}.
   */
  public GrpcTargetConnector(
      HostPort target,
      String sourceId,
      long rpcTimeoutMillis,
      long streamStallMillis,
      ChannelCredentials credentials,
      PageExecutor pageExecutor) {
    this(Channels.DEFAULT, target, sourceId, rpcTimeoutMillis, streamStallMillis, credentials, pageExecutor);
  }

  /**
   * Over the given channel transport (in-process in tests; {@link Channels#DEFAULT} in the nodes),
   * the page streams' callbacks (onReady, the summary) run per {@code pageExecutor}.
   */
  public GrpcTargetConnector(
      ChannelTransport transport,
      HostPort target,
      String sourceId,
      long rpcTimeoutMillis,
      long streamStallMillis,
      ChannelCredentials credentials,
      PageExecutor pageExecutor) {
    this.transport = transport;
    this.pageExecutor = pageExecutor;
    this.credentials = credentials;
    this.target = target;
    this.sourceId = sourceId;
    this.rpcTimeoutMillis = rpcTimeoutMillis;
    this.streamStallMillis = streamStallMillis;
  }

  /** Test-fault gfn on the wire: 0 means none there, -1 means none here. */
  @Override
  public synchronized void warmUp() {
    if (warmChannel == null) {
      warmChannel = Channels.open(transport, target, credentials);
      warmChannel.getState(true); // connect now, in the background
    }
  }

  @Override
  public TargetSession open(VmShape shape, SessionOptions options, RateLimiter limiter)
      throws TransferException {
    ManagedChannel control;
    synchronized (this) {
      control = warmChannel != null ? warmChannel : Channels.open(transport, target, credentials);
      warmChannel = null;
    }
    try {
      VmLayout.Builder layout =
          VmLayout.newBuilder().setVcpuCount(shape.vcpus()).setBackingPageBytes(shape.backing().bytes());
      shape.slots().forEach(s -> layout.addSlots(ProtoConversions.toProto(s)));
      BeginSessionRequest req =
          BeginSessionRequest.newBuilder()
              .setProtocolVersion(PROTOCOL_VERSION)
              .setSourceId(sourceId)
              .setMigrationId(options.migrationId())
              .setLayout(layout)
              .setOptions(
                  io.dbmmigrate.proto.v1.SessionOptions.newBuilder()
                      .setStreams(options.streams())
                      .setMaxBatchBytes(options.batchBytes())
                      .setCompression(
                          options.compress() ? Compression.COMPRESSION_LZ4 : Compression.COMPRESSION_NONE)
                      .setTestCorruptGfn(Math.max(0, options.testCorruptGfn()))
                      .setPostcopy(options.postcopy()))
              .build();
      BeginSessionResponse resp;
      try {
        resp =
            MigrationTargetGrpc.newBlockingStub(control)
                .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS)
                .beginSession(req);
      } catch (StatusRuntimeException e) {
        throw new TransferException(
            "could not open a session on " + target + ": " + GrpcErrors.describe(e), e);
      }
      long maxInbound = resp.getMaxInboundMessageBytes() & 0xffffffffL;
      if (maxInbound > 0 && options.batchBytes() + BATCH_OVERHEAD_BYTES > maxInbound) {
        abortQuietly(control, resp.getSessionId(), "batch size too large");
        throw new TransferException(
            "batch size "
                + options.batchBytes()
                + " bytes exceeds what the destination accepts ("
                + maxInbound
                + " bytes per message, less "
                + BATCH_OVERHEAD_BYTES
                + " of framing); lower --batch-bytes or raise its --max-inbound-bytes");
      }
      return new GrpcTargetSession(
          transport, target, credentials, control, resp.getSessionId(), options, shape, limiter, rpcTimeoutMillis,
          streamStallMillis, resp.getMaxWarmUpBytes(), pageExecutor);
    } catch (TransferException | RuntimeException e) {
      Channels.close(control);
      throw e;
    }
  }

  private void abortQuietly(ManagedChannel control, String sessionId, String reason) {
    try {
      MigrationTargetGrpc.newBlockingStub(control)
          .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS)
          .abort(io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId(sessionId).setReason(reason).build());
    } catch (StatusRuntimeException ignored) {
      // best effort
    }
  }
}
