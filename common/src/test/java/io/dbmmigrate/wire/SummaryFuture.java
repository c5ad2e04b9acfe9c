package io.dbmmigrate.wire;

import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** The answer of a page-batch call as a future: its StreamSummary, or the error the call ended with. */
final class SummaryFuture extends CompletableFuture<StreamSummary> implements StreamObserver<StreamSummary> {
  @Override
  public void onNext(StreamSummary s) {
    complete(s);
  }

  @Override
  public void onError(Throwable t) {
    completeExceptionally(t);
  }

  @Override
  public void onCompleted() {}
}
