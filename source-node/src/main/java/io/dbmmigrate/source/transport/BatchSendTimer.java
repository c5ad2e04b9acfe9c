package io.dbmmigrate.source.transport;

import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.source.migration.BatchSendLatency;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;
import java.util.function.LongSupplier;

/**
 * Times every page batch of one stream's {@code SendPages} calls for {@link BatchSendLatency}
 * (and of its {@code WarmUpPages} calls, which run the same code; the session drops those): from
 * the first {@code isReady()} check after the previous message (the sender's flow-control wait for
 * this batch begins there) until {@code sendMessage} (the stub's {@code onNext}) returned. A batch
 * sent without any readiness check is timed from its {@code sendMessage} alone. Sitting on the
 * call, it needs nothing from the sender but the gRPC contract that it checks readiness before it
 * sends, and it allocates nothing per batch.
 *
 * <p>Threading: {@code isReady} and {@code sendMessage} of a call are invoked by the stream's
 * sender thread only (the {@code PageStreamSender} contract), so the per-call fields are plain.
 * Other methods of the call pass through untouched.
 */
final class BatchSendTimer implements ClientInterceptor {
  private final BatchSendLatency.Stream latency;
  private final LongSupplier clock;

  BatchSendTimer(BatchSendLatency.Stream latency, LongSupplier clock) {
    this.latency = latency;
    this.clock = clock;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    ClientCall<Q, R> call = next.newCall(method, options);
    final String name = method.getFullMethodName();
    if (!MigrationTargetGrpc.getSendPagesMethod().getFullMethodName().equals(name)
        && !MigrationTargetGrpc.getWarmUpPagesMethod().getFullMethodName().equals(name)) return call;
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      private boolean waiting; // sender thread only
      private long waitingSince; // sender thread only; valid while waiting

      @Override
      public boolean isReady() {
        if (!waiting) {
          waiting = true;
          waitingSince = clock.getAsLong();
        }
        return super.isReady();
      }

      @Override
      public void sendMessage(Q message) {
        final long start = waiting ? waitingSince : clock.getAsLong();
        waiting = false;
        super.sendMessage(message);
        latency.recordNanos(clock.getAsLong() - start);
      }
    };
  }
}
