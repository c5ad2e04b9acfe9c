package io.dbmmigrate.source.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.source.migration.BatchSendLatency;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

class BatchSendTimerTest {
  private static final long MS = 1_000_000;
  private long now = 1_000 * MS;

  /** A call that is ready when its queue says so; each send takes {@code sendNanos} on the clock. */
  private final class FakeCall extends ClientCall<Object, Object> {
    final Deque<Boolean> ready = new ArrayDeque<>();
    long sendNanos;
    int sent;

    @Override
    public void start(Listener<Object> l, Metadata h) {}

    @Override
    public void request(int n) {}

    @Override
    public void cancel(String m, Throwable t) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(Object message) {
      now += sendNanos;
      sent++;
    }

    @Override
    public boolean isReady() {
      return ready.isEmpty() || ready.poll();
    }
  }

  private final FakeCall fake = new FakeCall();
  private final Channel channel =
      new Channel() {
        @Override
        @SuppressWarnings("unchecked")
        public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> m, CallOptions o) {
          return (ClientCall<Q, R>) fake;
        }

        @Override
        public String authority() {
          return "fake";
        }
      };

  private ClientCall<PageBatch, ?> intercepted(BatchSendLatency l) {
    return new BatchSendTimer(l.stream(0), () -> now)
        .interceptCall(MigrationTargetGrpc.getSendPagesMethod(), CallOptions.DEFAULT, channel);
  }

  @Test
  void aBatchCountsFromItsFirstReadinessCheckUntilOnNextReturned() {
    BatchSendLatency l = new BatchSendLatency(1);
    ClientCall<PageBatch, ?> call = intercepted(l);
    fake.sendNanos = 2 * MS;
    // batch 1: not ready, 30 ms later still not, 10 ms later ready; sending takes 2 ms → 42 ms
    fake.ready.add(false);
    fake.ready.add(false);
    fake.ready.add(true);
    assertThat(call.isReady()).isFalse();
    now += 30 * MS;
    assertThat(call.isReady()).isFalse();
    now += 10 * MS;
    assertThat(call.isReady()).isTrue();
    call.sendMessage(PageBatch.getDefaultInstance());
    // batch 2: 5 ms of encoding before its first check (not counted), ready at once → 2 ms
    now += 5 * MS;
    assertThat(call.isReady()).isTrue();
    call.sendMessage(PageBatch.getDefaultInstance());
    var p = l.endRound();
    assertThat(fake.sent).isEqualTo(2);
    assertThat(p.count()).isEqualTo(2);
    assertThat(p.maxMillis()).isCloseTo(42, withPercentage(1));
    assertThat(p.p50Millis()).isCloseTo(2, withPercentage(1));
  }

  @Test
  void otherMethodsPassThroughUntimed() {
    BatchSendLatency l = new BatchSendLatency(1);
    ClientCall<?, ?> call =
        new BatchSendTimer(l.stream(0), () -> now)
            .interceptCall(MigrationTargetGrpc.getHeartbeatMethod(), CallOptions.DEFAULT, channel);
    assertThat(call).isSameAs(fake);
    assertThat(l.endRound().count()).isZero();
  }
}
