package io.dbmmigrate.wire;

import java.time.Duration;

/**
 * The HTTP/2 settings both sides of the migration protocol must agree on, in one object: the
 * servers ({@link GrpcServers}) and the source's client channels are built from the same instance,
 * so a value cannot drift between them.
 *
 * @param flowControlWindowBytes HTTP/2 flow-control window per stream, on both sides. grpc-java
 *     starts at 1 MiB, one page batch: the sender would stall on every window update.
 * @param clientKeepAlive how often a client pings while calls run, so that a vanished peer is
 *     noticed during a long round
 * @param keepAliveTimeout how long a ping may go unanswered (client and server)
 * @param serverKeepAlive how often a server pings its clients
 * @param permitKeepAlive the shortest client ping interval a server accepts (it answers faster
 *     pings with GOAWAY); never longer than {@code clientKeepAlive}, checked here
 * @param clientMaxInboundMessageBytes largest answer a client accepts: answers are small, except
 *     digests with per-chunk hashes (32 bytes + framing per 2 MiB: about 1.1 MiB for 64 GiB). The
 *     server's limit is a node setting ({@code GrpcServers.Settings}), sized for a page batch.
 * @param maxInboundMetadataBytes largest header block accepted (server)
 * @param maxFrameBytes largest HTTP/2 frame a server accepts and announces to its clients
 *     (SETTINGS_MAX_FRAME_SIZE; HTTP/2's default is 16 KiB): see {@link BulkInboundCredentials}
 */
public record TransportTuning(
    int flowControlWindowBytes,
    Duration clientKeepAlive,
    Duration keepAliveTimeout,
    Duration serverKeepAlive,
    Duration permitKeepAlive,
    int clientMaxInboundMessageBytes,
    int maxInboundMetadataBytes,
    int maxFrameBytes) {

  /** What the nodes use. */
  public static final TransportTuning DEFAULT =
      new TransportTuning(
          4 << 20,
          Duration.ofSeconds(30),
          Duration.ofSeconds(10),
          Duration.ofSeconds(15),
          Duration.ofSeconds(5),
          16 << 20,
          64 << 10,
          1 << 20);

  /**
   * The same with another flow-control window (a receiver's setting: the window a node advertises
   * bounds what its peer may have in flight to it; {@code dest-node --flow-control-window}).
   */
  public TransportTuning withFlowControlWindow(int bytes) {
    return new TransportTuning(
        bytes, clientKeepAlive, keepAliveTimeout, serverKeepAlive, permitKeepAlive, clientMaxInboundMessageBytes,
        maxInboundMetadataBytes, maxFrameBytes);
  }

  /** The same with another announced HTTP/2 frame size (a receiver's setting). */
  public TransportTuning withMaxFrameBytes(int bytes) {
    return new TransportTuning(
        flowControlWindowBytes, clientKeepAlive, keepAliveTimeout, serverKeepAlive, permitKeepAlive,
        clientMaxInboundMessageBytes, maxInboundMetadataBytes, bytes);
  }

  public TransportTuning {
    if (flowControlWindowBytes <= 0 || clientMaxInboundMessageBytes <= 0 || maxInboundMetadataBytes <= 0)
      throw new IllegalArgumentException("sizes must be positive");
    if (maxFrameBytes < 16 << 10 || maxFrameBytes > (1 << 24) - 1)
      throw new IllegalArgumentException("HTTP/2 max frame size must be in [16 KiB, 16 MiB - 1], not " + maxFrameBytes);
    for (Duration d : new Duration[] {clientKeepAlive, keepAliveTimeout, serverKeepAlive, permitKeepAlive})
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("keepalive durations must be positive");
    if (permitKeepAlive.compareTo(clientKeepAlive) > 0)
      throw new IllegalArgumentException(
          "servers would reject the clients' keepalive: permitKeepAlive "
              + permitKeepAlive
              + " > clientKeepAlive "
              + clientKeepAlive);
  }
}
