package io.dbmmigrate.wire;

import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Receive-side marshaller of {@code SendPages} messages: {@link #parse} keeps gRPC's bytes in an
 * {@link InboundBatch} without reading them (zero copy when the stream can be detached, see there)
 * and <b>never throws</b> on malformed content (only a transport limit, RESOURCE_EXHAUSTED while
 * inflating a compressed message, propagates as gRPC raised it): the checks that can fail run in {@link
 * InboundBatch#decode()}, called by the service, which maps failures to INVALID_ARGUMENT and
 * accounts the holder's {@link InboundBatch#sizeBytes()} as bytes in flight. gRPC enforces the max
 * inbound message size before parse.
 *
 * <p>{@link #stream} (unused on a server) re-serializes a decoded batch. Threading: stateless.
 */
public final class InboundBatchMarshaller implements MethodDescriptor.Marshaller<InboundBatch> {
  private static final InboundBatchMarshaller INSTANCE = new InboundBatchMarshaller();

  private InboundBatchMarshaller() {}

  public static InboundBatchMarshaller instance() {
    return INSTANCE;
  }

  @Override
  public InputStream stream(InboundBatch value) {
    try {
      return value.decode().toByteString().newInput();
    } catch (BatchFormatException e) {
      throw new IllegalArgumentException("cannot re-serialize a malformed batch", e);
    }
  }

  @Override
  public InboundBatch parse(InputStream stream) {
    int size = -1;
    try {
      size = stream instanceof KnownLength ? stream.available() : -1;
      if (size >= 0
          && stream instanceof Detachable d
          && stream instanceof HasByteBuffer hb
          && hb.byteBufferSupported()
          && stream.markSupported()) {
        final InputStream owned = d.detach();
        // Marked, skipped buffers are kept until close instead of being recycled under our views.
        owned.mark(size);
        return InboundBatch.ofDetached(owned, size);
      }
      return InboundBatch.ofBytes(stream.readAllBytes());
    } catch (StatusRuntimeException e) {
      // Not malformed content but a transport limit (a compressed message inflating past the max
      // inbound size: RESOURCE_EXHAUSTED); the server's guard maps it to its status.
      throw e;
    } catch (IOException | RuntimeException e) {
      return InboundBatch.ofFailure(e instanceof IOException io ? io : new IOException(e), size);
    }
  }
}
