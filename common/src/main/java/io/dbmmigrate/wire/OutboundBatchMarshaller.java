package io.dbmmigrate.wire;

import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.MethodDescriptor;
import java.io.InputStream;

/**
 * Send-side marshaller of the page-batch methods: the message is its own stream ({@link
 * OutboundBatch}, drained by gRPC's framer), and the methods' names, types and response marshaller
 * are the generated ones, so the bytes on the wire are a {@code PageBatch} as target.proto
 * describes. The receive side is {@link InboundBatchMarshaller}. Stateless.
 */
public final class OutboundBatchMarshaller implements MethodDescriptor.Marshaller<OutboundBatch> {
  private static final OutboundBatchMarshaller INSTANCE = new OutboundBatchMarshaller();

  /** {@code SendPages}, sending {@link OutboundBatch}es. */
  public static final MethodDescriptor<OutboundBatch, StreamSummary> SEND_PAGES =
      sendSide(MigrationTargetGrpc.getSendPagesMethod());

  /** {@code WarmUpPages}, sending {@link OutboundBatch}es. */
  public static final MethodDescriptor<OutboundBatch, StreamSummary> WARM_UP_PAGES =
      sendSide(MigrationTargetGrpc.getWarmUpPagesMethod());

  private OutboundBatchMarshaller() {}

  private static MethodDescriptor<OutboundBatch, StreamSummary> sendSide(
      MethodDescriptor<PageBatch, StreamSummary> generated) {
    return generated.toBuilder(INSTANCE, generated.getResponseMarshaller()).build();
  }

  @Override
  public InputStream stream(OutboundBatch batch) {
    return batch;
  }

  /** Never called on a client; a server parses page batches with {@link InboundBatchMarshaller}. */
  @Override
  public OutboundBatch parse(InputStream stream) {
    throw new UnsupportedOperationException("page batches are parsed by InboundBatchMarshaller");
  }
}
