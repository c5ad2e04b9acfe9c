package io.dbmmigrate.source.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PostcopyChannel;
import io.dbmmigrate.proto.v1.PostcopyDown;
import io.dbmmigrate.proto.v1.PostcopyPage;
import io.dbmmigrate.proto.v1.PostcopyUp;
import io.dbmmigrate.source.migration.PostcopyTransfer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The source's post-copy over in-process gRPC against a scripted destination: a page the
 * destination asked for before the URGENT call connected (a vCPU blocked right at resume) goes out
 * on the URGENT call, never in a background batch, which waits for the rate limiter (postcopy-preempt).
 */
class GrpcPostcopyTest {
  private static final long BASE = 0x40000; // 1 GiB
  private static final int PAGES = 256;

  /** Answers the URGENT call's first message with the missing set and one pending request. */
  private static final class ScriptedTarget extends MigrationTargetGrpc.MigrationTargetImplBase {
    final long requested;
    final List<Long> urgentPages = Collections.synchronizedList(new ArrayList<>());
    final List<Long> backgroundPages = Collections.synchronizedList(new ArrayList<>());
    final Set<Long> received = ConcurrentHashMap.newKeySet();
    final AtomicBoolean completeSent = new AtomicBoolean();
    volatile StreamObserver<PostcopyDown> urgentOut;

    ScriptedTarget(long requested) {
      this.requested = requested;
    }

    @Override
    public StreamObserver<PostcopyUp> postcopy(StreamObserver<PostcopyDown> out) {
      return new StreamObserver<>() {
        PostcopyChannel channel;

        @Override
        public void onNext(PostcopyUp m) {
          if (channel == null) {
            channel = m.getChannel();
            PostcopyDown.Builder first =
                PostcopyDown.newBuilder()
                    .setFirst(true)
                    .addMissing(GpaRange.newBuilder().setStartGpa(BASE << 12).setLengthBytes((long) PAGES << 12));
            if (channel == PostcopyChannel.POSTCOPY_CHANNEL_URGENT) {
              urgentOut = out;
              first.addRequestGfns(requested);
            }
            synchronized (out) {
              out.onNext(first.build());
            }
          }
          for (PostcopyPage p : m.getPagesList()) {
            (channel == PostcopyChannel.POSTCOPY_CHANNEL_URGENT ? urgentPages : backgroundPages).add(p.getGfn());
            received.add(p.getGfn());
          }
          if (received.size() == PAGES && completeSent.compareAndSet(false, true)) {
            StreamObserver<PostcopyDown> u = urgentOut;
            synchronized (u) {
              u.onNext(PostcopyDown.newBuilder().setComplete(true).build());
            }
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          synchronized (out) {
            out.onCompleted();
          }
        }
      };
    }
  }

  @Test
  @Timeout(60)
  void aPageRequestedAtResumeGoesOnTheUrgentCallAndNotInABackgroundBatch() throws Exception {
    ChunkedGuestMemory memory = new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", BASE, PAGES, false)));
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (int i = 0; i < PAGES; i++) {
      page[0] = (byte) (i + 1);
      memory.writePage(BASE + i, page, 0);
    }
    // The first page of the missing set: the one the background push would claim first.
    for (int rep = 0; rep < 10; rep++) {
      ScriptedTarget target = new ScriptedTarget(BASE);
      String name = InProcessServerBuilder.generateName();
      Server server = InProcessServerBuilder.forName(name).addService(target).build().start();
      ManagedChannel control = InProcessChannelBuilder.forName(name).build();
      ManagedChannel urgent = InProcessChannelBuilder.forName(name).build();
      ManagedChannel background = InProcessChannelBuilder.forName(name).build();
      try {
        // 4 MB/s: each 16-page background batch waits about 16 ms for the limiter
        RateLimiter limiter = new RateLimiter(4_000_000, 1, NanoClock.system());
        GrpcPostcopy pc =
            new GrpcPostcopy("s", control, urgent, background, limiter, BASE + PAGES, 10_000, 10_000, 1_000);
        PostcopyTransfer.Pushed pushed = pc.push(memory);
        assertThat(target.urgentPages).as("rep %d: the requested page on URGENT", rep).containsExactly(BASE);
        assertThat(target.backgroundPages).as("rep %d", rep).doesNotContain(BASE).hasSize(PAGES - 1);
        assertThat(pushed.pagesRequested()).isEqualTo(1);
        assertThat(pushed.pagesPushed()).isEqualTo(PAGES - 1);
      } finally {
        for (ManagedChannel ch : List.of(control, urgent, background)) ch.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
