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
 * Binds a service so that its {@code SendPages} method receives {@link InboundBatch} holders through
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
    ServiceDescriptor old = def.getServiceDescriptor();
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      if (!m.getMethodDescriptor().getFullMethodName().equals(sendPages)) {
        methods.add(m);
        continue;
      }
      MethodDescriptor<InboundBatch, StreamSummary> md =
          MigrationTargetGrpc.getSendPagesMethod()
              .toBuilder(
                  InboundBatchMarshaller.instance(),
                  MigrationTargetGrpc.getSendPagesMethod().getResponseMarshaller())
              .build();
      methods.add(ServerMethodDefinition.create(md, ServerCalls.asyncClientStreamingCall(receiver::receivePages)));
    }
    for (ServerMethodDefinition<?, ?> m : methods) sd.addMethod(m.getMethodDescriptor());
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(sd.build());
    for (ServerMethodDefinition<?, ?> m : methods) out.addMethod(m);
    return out.build();
  }
}
