package io.dbmmigrate.wire;

import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.stub.StreamObserver;

/**
 * A service that takes {@code SendPages} (and {@code WarmUpPages}) messages as {@link InboundBatch} holders (zero copy, see
 * there) instead of parsed {@code PageBatch} messages. {@link PageStreamBinding} routes the method
 * to it. The returned observer must {@link InboundBatch#release()} every holder it is given.
 */
public interface PageBatchReceiver {
  StreamObserver<InboundBatch> receivePages(StreamObserver<StreamSummary> responseObserver);

  /** {@code WarmUpPages}: the same messages, for the page-path warm-up (see target.proto). */
  StreamObserver<InboundBatch> receiveWarmUpPages(StreamObserver<StreamSummary> responseObserver);
}
