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
    final CompletableFuture<Thread> sendPages = new CompletableFuture<>();
    final CompletableFuture<Thread> warmUpPages = new CompletableFuture<>();
    final CompletableFuture<Thread> heartbeat = new CompletableFuture<>();
    MigrationTargetGrpc.MigrationTargetImplBase service =
        new MigrationTargetGrpc.MigrationTargetImplBase() {
          @Override
          public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> answer) {
            return recording(sendPages, answer);
          }

          @Override
          public StreamObserver<PageBatch> warmUpPages(StreamObserver<StreamSummary> answer) {
            return recording(warmUpPages, answer);
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
      sendOne(MigrationTargetGrpc.newStub(channel)::sendPages);
      sendOne(MigrationTargetGrpc.newStub(channel)::warmUpPages);
      return new Threads(
          sendPages.get(30, TimeUnit.SECONDS), warmUpPages.get(30, TimeUnit.SECONDS), heartbeat.get(30, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdown(5_000);
    }
  }

  /** Records the thread of the first batch's callback; answers at the end of the call. */
  private static StreamObserver<PageBatch> recording(CompletableFuture<Thread> seen, StreamObserver<StreamSummary> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(PageBatch b) {
        seen.complete(Thread.currentThread());
      }

      @Override
      public void onError(Throwable t) {
        seen.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        answer.onNext(StreamSummary.getDefaultInstance());
        answer.onCompleted();
      }
    };
  }

  private static void sendOne(java.util.function.Function<StreamObserver<StreamSummary>, StreamObserver<PageBatch>> call)
      throws Exception {
    SummaryFuture done = new SummaryFuture();
    StreamObserver<PageBatch> requests = call.apply(done);
    requests.onNext(PageBatch.newBuilder().setSessionId("s").build());
    requests.onCompleted();
    done.get(30, TimeUnit.SECONDS);
  }
}
