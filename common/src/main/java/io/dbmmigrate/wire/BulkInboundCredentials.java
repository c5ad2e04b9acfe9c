package io.dbmmigrate.wire;

import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.channel.ChannelDuplexHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.handler.codec.ByteToMessageDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * A server's transport credentials (plaintext or TLS, unchanged) with its HTTP/2 connection set
 * up for bulk inbound data, the page streams. Two settings grpc-java does not expose:
 *
 * <ol>
 *   <li><b>No copy while a frame is incomplete.</b> Netty's HTTP/2 decoder keeps the bytes of a
 *       frame that has not fully arrived in a cumulation buffer. Its default (merge) cumulator
 *       copies that buffer, and the whole next socket read, into a new one whenever gRPC still
 *       holds a slice of it, which it always does (gRPC keeps every DATA frame until the message
 *       is consumed): every received byte was copied once more on the event loop. The composing
 *       cumulator appends the read buffer as a component instead; gRPC's readers
 *       ({@link InboundBatch}) read the components in place.
 *   <li><b>Larger DATA frames.</b> HTTP/2 frames are at most 16 KiB until the receiver announces
 *       more (SETTINGS_MAX_FRAME_SIZE, RFC 9113 §6.5.2): a 1 MiB page batch is then 64 frames,
 *       each with its own header, slice, promise and flow-control accounting on both ends. The
 *       server announces {@code maxFrameBytes} in a SETTINGS frame right after its preface; the
 *       client (Netty's encoder) uses the larger frames once it has read it, and the server's
 *       frame reader accepts them once the client has acknowledged it (Netty applies sent
 *       settings on their ACK, which the client sends before any larger frame). What a client
 *       sends before it has read the frame, at most its first flow-control window on a new
 *       connection, still goes in 16 KiB frames; the frame precedes the server's first answer.
 * </ol>
 *
 * <p>Threading: everything here runs on the connection's event loop.
 */
public final class BulkInboundCredentials {
  private BulkInboundCredentials() {}

  /**
   * {@code credentials} with the composing cumulator and, when {@code maxFrameBytes} exceeds
   * HTTP/2's default of 16 KiB, that frame size announced ({@link TransportTuning} checks its
   * range).
   */
  public static ServerCredentials wrap(ServerCredentials credentials, int maxFrameBytes) {
    final InternalProtocolNegotiator.ServerFactory inner = InternalNettyServerCredentials.toNegotiator(credentials);
    return InternalNettyServerCredentials.create(
        (InternalProtocolNegotiator.ServerFactory) pool -> new Negotiator(inner.newNegotiator(pool), maxFrameBytes));
  }

  private static final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private final InternalProtocolNegotiator.ProtocolNegotiator inner;
    private final int maxFrameBytes;

    Negotiator(InternalProtocolNegotiator.ProtocolNegotiator inner, int maxFrameBytes) {
      this.inner = inner;
      this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public AsciiString scheme() {
      return inner.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      grpcHandler.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
      final ChannelHandler negotiation = inner.newHandler(grpcHandler);
      if (maxFrameBytes <= 16 << 10) return negotiation;
      return new FrameSizeAnnouncer(grpcHandler, negotiation, maxFrameBytes);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /**
   * Sits in front of the negotiation handler (which later replaces itself with gRPC's HTTP/2
   * handler) and sends the SETTINGS frame once that handler is in the pipeline: at the first
   * inbound read that finds it there. By then its preface, the first SETTINGS frame, is written
   * (Netty sends it when the handler is added to an active channel), so this one follows it.
   * Under TLS the reads of the handshake find no HTTP/2 handler yet and pass. It leaves the
   * pipeline once it has sent the frame.
   */
  private static final class FrameSizeAnnouncer extends ChannelDuplexHandler {
    private final GrpcHttp2ConnectionHandler grpcHandler;
    private final ChannelHandler negotiation;
    private final int maxFrameBytes;
    private boolean announced;

    FrameSizeAnnouncer(GrpcHttp2ConnectionHandler grpcHandler, ChannelHandler negotiation, int maxFrameBytes) {
      this.grpcHandler = grpcHandler;
      this.negotiation = negotiation;
      this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addAfter(ctx.name(), null, negotiation);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (!announced) {
        final ChannelHandlerContext http2 = ctx.pipeline().context(grpcHandler);
        if (http2 != null) {
          announced = true;
          grpcHandler.encoder().writeSettings(http2, new Http2Settings().maxFrameSize(maxFrameBytes), http2.newPromise());
          http2.flush();
        }
      }
      super.channelRead(ctx, msg);
      if (announced && ctx.pipeline().context(this) != null) ctx.pipeline().remove(this);
    }
  }
}
