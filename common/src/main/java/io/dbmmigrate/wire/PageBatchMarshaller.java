package io.dbmmigrate.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Receive-side marshaller for {@link PageBatch} that parses with one copy instead of two: the
 * message bytes are read once into a fresh array of the message's size, and protobuf parses with
 * aliasing, so {@code payload} is a view of that array rather than a second copy (grpc-java's
 * default copies the message into a scratch array, then protobuf copies the payload out of it).
 *
 * <p>Safe because the array is allocated per message and never written after parsing: the
 * aliasing payload is immutable like any other. Size limits stay gRPC's (max inbound message
 * size is enforced before parse); serialization is the standard one.
 *
 * <p>Threading: stateless, shareable.
 */
public final class PageBatchMarshaller implements MethodDescriptor.PrototypeMarshaller<PageBatch> {
  private static final PageBatchMarshaller INSTANCE = new PageBatchMarshaller();
  private static final MethodDescriptor.Marshaller<PageBatch> STANDARD =
      ProtoUtils.marshaller(PageBatch.getDefaultInstance());

  private PageBatchMarshaller() {}

  public static PageBatchMarshaller instance() {
    return INSTANCE;
  }

  @Override
  public PageBatch getMessagePrototype() {
    return PageBatch.getDefaultInstance();
  }

  @Override
  public Class<PageBatch> getMessageClass() {
    return PageBatch.class;
  }

  @Override
  public InputStream stream(PageBatch value) {
    return STANDARD.stream(value);
  }

  @Override
  public PageBatch parse(InputStream stream) {
    try {
      final byte[] buf;
      if (stream instanceof KnownLength) {
        final int size = stream.available();
        buf = new byte[size];
        int at = 0;
        while (at < size) {
          final int n = stream.read(buf, at, size - at);
          if (n < 0) throw new IOException("message ended after " + at + " of " + size + " bytes");
          at += n;
        }
      } else {
        buf = stream.readAllBytes();
      }
      final CodedInputStream in = UnsafeByteOperations.unsafeWrap(buf).newCodedInput();
      in.enableAliasing(true);
      return PageBatch.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("invalid PageBatch").withCause(e).asRuntimeException();
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("reading a PageBatch failed").withCause(e).asRuntimeException();
    }
  }

  /**
   * The same service with every method whose request type is {@link PageBatch} parsing through
   * this marshaller; the service descriptor keeps its schema (reflection still works).
   */
  @SuppressWarnings("unchecked")
  public static ServerServiceDefinition rebind(ServerServiceDefinition def) {
    ServiceDescriptor old = def.getServiceDescriptor();
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      MethodDescriptor<?, ?> md = m.getMethodDescriptor();
      if (md.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
          && p.getMessagePrototype() instanceof PageBatch
          && p != INSTANCE) {
        ServerMethodDefinition<PageBatch, Object> pm = (ServerMethodDefinition<PageBatch, Object>) m;
        MethodDescriptor<PageBatch, Object> rebound =
            pm.getMethodDescriptor().toBuilder(INSTANCE, pm.getMethodDescriptor().getResponseMarshaller()).build();
        methods.add(ServerMethodDefinition.create(rebound, pm.getServerCallHandler()));
      } else {
        methods.add(m);
      }
    }
    for (ServerMethodDefinition<?, ?> m : methods) sd.addMethod(m.getMethodDescriptor());
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(sd.build());
    for (ServerMethodDefinition<?, ?> m : methods) out.addMethod(m);
    return out.build();
  }
}
