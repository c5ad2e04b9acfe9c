package io.dbmmigrate.source.transport;

import io.dbmmigrate.wire.ChannelTransport;
import io.dbmmigrate.wire.ServerTransport;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * In-process server and channel builders for {@link io.dbmmigrate.wire.GrpcServers} and {@link
 * GrpcTargetConnector}: the real source session and the real destination service in one JVM, no
 * sockets.
 *
 * <p>The in-process transport hands the message object itself to the server, which parses it
 * later; a real transport serializes inside {@code sendMessage}. The source reuses its one batch
 * object as soon as {@code onNext} returns ({@code OutboundBatch}, documented in {@link
 * ChannelTransport#netty}; the sender fails a batch that was not serialized by then), so without
 * {@link #SERIALIZE_ON_SEND} the destination would read a later batch. The interceptor serializes
 * each request on send, as Netty does (by reading the stream, not draining it: the plain-stream
 * path of {@code OutboundBatch}).
 */
final class InProcessTransports {
  private InProcessTransports() {}

  /** Serializes every request message while {@code sendMessage} runs, as a socket transport does. */
  static final ClientInterceptor SERIALIZE_ON_SEND =
      new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
          MethodDescriptor.Marshaller<Q> original = method.getRequestMarshaller();
          MethodDescriptor.Marshaller<Q> eager =
              new MethodDescriptor.Marshaller<>() {
                @Override
                public InputStream stream(Q value) {
                  try (InputStream in = original.stream(value)) {
                    return new ByteArrayInputStream(in.readAllBytes());
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                }

                @Override
                public Q parse(InputStream stream) {
                  return original.parse(stream);
                }
              };
          return next.newCall(method.toBuilder(eager, method.getResponseMarshaller()).build(), options);
        }
      };

  static ServerTransport server(String name) {
    return settings -> InProcessServerBuilder.forName(name);
  }

  static ChannelTransport channels(String name) {
    return (host, port, credentials) ->
        InProcessChannelBuilder.forName(name).intercept(SERIALIZE_ON_SEND).build();
  }
}
