package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocalThread;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * A real Netty server on loopback: with {@link PageExecutor#DIRECT} the page-batch handlers run on
 * the event loop that read the batch, with {@link PageExecutor#POOL} on gRPC's executor; every
 * other call runs on gRPC's executor with either choice.
 */
class PageExecutorTest {
  private record Threads(Thread sendPages, Thread warmUpPages, Thread heartbeat) {}

  @ParameterizedTest
  @EnumSource(PageExecutor.class)
  void pageBatchHandlersRunWhereChosenAndOtherCallsOnTheExecutor(PageExecutor choice) throws Exception {
    Threads t = callEachKind(choice);
    for (Thread page : List.of(t.sendPages(), t.warmUpPages())) {
      if (choice == PageExecutor.DIRECT)
        assertThat(page).as("a page-batch handler with DIRECT: %s", page.getName()).isInstanceOf(FastThreadLocalThread.class);
      else
        assertThat(page.getName()).as("a page-batch handler with POOL").startsWith("grpc-default-executor");
    }
    assertThat(t.heartbeat().getName()).as("a control call, either choice").startsWith("grpc-default-executor");
  }

  @Test
  void parsesTheCommandLineValuesAndNamesThemWhenRefusing() {
    assertThat(PageExecutor.parse("direct")).isEqualTo(PageExecutor.DIRECT);
    assertThat(PageExecutor.parse(" POOL ")).isEqualTo(PageExecutor.POOL);
    assertThat(PageExecutor.DIRECT).hasToString("direct");
    assertThatThrownBy(() -> PageExecutor.parse("inline")).hasMessageContaining("direct or pool");
  }

  private static Threads callEachKind(PageExecutor choice) throws Exception {
    final Batches sendPages = new Batches();
    final Batches warmUpPages = new Batches();
    final CompletableFuture<Thread> heartbeat = new CompletableFuture<>();
    MigrationTargetGrpc.MigrationTargetImplBase service =
        new MigrationTargetGrpc.MigrationTargetImplBase() {
          @Override
          public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> answer) {
            return sendPages.recording(answer);
          }

          @Override
          public StreamObserver<PageBatch> warmUpPages(StreamObserver<StreamSummary> answer) {
            return warmUpPages.recording(answer);
          }

          @Override
          public void heartbeat(HeartbeatRequest req, StreamObserver<HeartbeatResponse> out) {
            heartbeat.complete(Thread.currentThread());
            out.onNext(HeartbeatResponse.getDefaultInstance());
            out.onCompleted();
          }
        };
    GrpcServers.Running server =
        GrpcServers.start(
            ServerTransport.netty(TransportTuning.DEFAULT, choice),
            GrpcServers.Settings.plaintext("127.0.0.1", 0, 8 << 20),
            List.of(service));
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      MigrationTargetGrpc.newBlockingStub(channel).heartbeat(HeartbeatRequest.getDefaultInstance());
      sendPages.sendTwo(MigrationTargetGrpc.newStub(channel)::sendPages);
      warmUpPages.sendTwo(MigrationTargetGrpc.newStub(channel)::warmUpPages);
      return new Threads(
          sendPages.second.get(30, TimeUnit.SECONDS),
          warmUpPages.second.get(30, TimeUnit.SECONDS),
          heartbeat.get(30, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdown(5_000);
    }
  }

  /**
   * One page-batch call of two batches, the second sent after the server's handler saw the first.
   * The second batch's thread is the one checked: gRPC looks up a call's executor on its own
   * executor and runs what is queued by then (the call's start, often the first message) on that
   * thread before it switches (SerializingExecutor.setExecutor in grpc-java's ServerImpl), so the
   * first batch of a call may run on gRPC's executor with either choice.
   */
  private static final class Batches {
    final CompletableFuture<Thread> first = new CompletableFuture<>();
    final CompletableFuture<Thread> second = new CompletableFuture<>();

    StreamObserver<PageBatch> recording(StreamObserver<StreamSummary> answer) {
      return new StreamObserver<>() {
        @Override
        public void onNext(PageBatch b) {
          (first.isDone() ? second : first).complete(Thread.currentThread());
        }

        @Override
        public void onError(Throwable t) {
          first.completeExceptionally(t);
          second.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          answer.onNext(StreamSummary.getDefaultInstance());
          answer.onCompleted();
        }
      };
    }

    void sendTwo(java.util.function.Function<StreamObserver<StreamSummary>, StreamObserver<PageBatch>> call)
        throws Exception {
      SummaryFuture done = new SummaryFuture();
      StreamObserver<PageBatch> requests = call.apply(done);
      requests.onNext(PageBatch.newBuilder().setSessionId("s").build());
      first.get(30, TimeUnit.SECONDS);
      requests.onNext(PageBatch.newBuilder().setSessionId("s").setSequence(1).build());
      requests.onCompleted();
      done.get(30, TimeUnit.SECONDS);
    }
  }
}
