package io.dbmmigrate.wire;

import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds a service so that its {@code SendPages} and {@code WarmUpPages} methods receive {@link InboundBatch} holders through
 * {@link InboundBatchMarshaller} (gRPC's network buffers read in place) when the service is a
 * {@link PageBatchReceiver}; other services and methods are bound as generated. The service
 * descriptor keeps its schema, so reflection still describes {@code SendPages(stream PageBatch)}:
 * the bytes on the wire are still a protobuf {@code PageBatch}.
 */
public final class PageStreamBinding {
  private PageStreamBinding() {}

  @SuppressWarnings("unchecked")
  public static ServerServiceDefinition bind(BindableService service) {
    ServerServiceDefinition def = service.bindService();
    if (!(service instanceof PageBatchReceiver receiver)) return def;
    String sendPages = MigrationTargetGrpc.getSendPagesMethod().getFullMethodName();
    String warmUpPages = MigrationTargetGrpc.getWarmUpPagesMethod().getFullMethodName();
    ServiceDescriptor old = def.getServiceDescriptor();
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      String name = m.getMethodDescriptor().getFullMethodName();
      if (name.equals(sendPages))
        methods.add(inPlace(MigrationTargetGrpc.getSendPagesMethod(), receiver::receivePages));
      else if (name.equals(warmUpPages))
        methods.add(inPlace(MigrationTargetGrpc.getWarmUpPagesMethod(), receiver::receiveWarmUpPages));
      else methods.add(m);
    }
    for (ServerMethodDefinition<?, ?> m : methods) sd.addMethod(m.getMethodDescriptor());
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(sd.build());
    for (ServerMethodDefinition<?, ?> m : methods) out.addMethod(m);
    return out.build();
  }

  /** A client-streaming page-batch method whose requests are parsed in place. */
  private static ServerMethodDefinition<InboundBatch, StreamSummary> inPlace(
      MethodDescriptor<io.dbmmigrate.proto.v1.PageBatch, StreamSummary> generated,
      ServerCalls.ClientStreamingMethod<InboundBatch, StreamSummary> handler) {
    MethodDescriptor<InboundBatch, StreamSummary> md =
        generated.toBuilder(InboundBatchMarshaller.instance(), generated.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(md, ServerCalls.asyncClientStreamingCall(handler));
  }
}
