package io.dbmmigrate.source.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.AbortResponse;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.source.migration.CommitOutcome;
import io.dbmmigrate.source.migration.HarvestBitmap;
import io.dbmmigrate.source.migration.ProgressSink;
import io.dbmmigrate.source.migration.RoundTransfer;
import io.dbmmigrate.source.migration.SessionOptions;
import io.dbmmigrate.source.migration.TargetSession;
import io.dbmmigrate.source.migration.TransferException;
import io.dbmmigrate.source.migration.VmShape;
import io.dbmmigrate.testing.MapGuestMemory;
import io.dbmmigrate.testing.Threads;
import io.dbmmigrate.wire.BatchFormatException;
import io.dbmmigrate.wire.PageBatchDecoder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC transport against a minimal destination on a loopback Netty server: pages arrive intact
 * on every stream, the manifest matches, a destination that stops reading trips the watchdog.
 */
class GrpcTargetSessionTest {
  private static final List<MemorySlotSpec> SLOTS =
      List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 262144, 4096, false));

  private Server server;
  private final FakeDestination dest = new FakeDestination();

  /** Applies batches to its own memory; may be told to stop reading. */
  static final class FakeDestination extends MigrationTargetGrpc.MigrationTargetImplBase {
    final MapGuestMemory memory = new MapGuestMemory(SLOTS);
    final ConcurrentLinkedQueue<StreamManifest> manifest = new ConcurrentLinkedQueue<>();
    final AtomicLong batches = new AtomicLong();
    volatile boolean stopReading;
    /** What BeginSession advertises as max_warm_up_bytes (0: as a destination before the field). */
    volatile long maxWarmUpBytes;

    @Override
    public void beginSession(BeginSessionRequest req, StreamObserver<BeginSessionResponse> out) {
      out.onNext(
          BeginSessionResponse.newBuilder()
              .setSessionId("s-1")
              .setMaxInboundMessageBytes(17 << 20)
              .setMaxWarmUpBytes(maxWarmUpBytes)
              .build());
      out.onCompleted();
    }

    @Override
    public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> responseObserver) {
      ServerCallStreamObserver<StreamSummary> out = (ServerCallStreamObserver<StreamSummary>) responseObserver;
      out.disableAutoRequest();
      if (!stopReading) out.request(2);
      return batches(
          out,
          decoder -> {
            synchronized (memory) {
              decoder.applyTo(memory);
            }
            batches.incrementAndGet();
            out.request(1);
          });
    }

    /** Warm-up batches: decoded and counted, never applied. */
    final AtomicLong warmUpBatches = new AtomicLong();
    final AtomicLong warmUpMaxGfn = new AtomicLong(-1);
    final AtomicLong warmUpMinGfn = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong warmUpCalls = new AtomicLong();
    final AtomicLong warmUpPages = new AtomicLong();

    @Override
    public StreamObserver<PageBatch> warmUpPages(StreamObserver<StreamSummary> out) {
      warmUpCalls.incrementAndGet();
      return batches(
          out,
          decoder -> {
            warmUpBatches.incrementAndGet();
            warmUpPages.addAndGet(decoder.count());
            for (int i = 0; i < decoder.count(); i++) {
              warmUpMaxGfn.accumulateAndGet(decoder.gfn(i), Math::max);
              warmUpMinGfn.accumulateAndGet(decoder.gfn(i), Math::min);
            }
          });
    }

    /** A call's batches, each decoded then handed to {@code onBatch}; the summary counts them. */
    private static StreamObserver<PageBatch> batches(
        StreamObserver<StreamSummary> out, java.util.function.Consumer<PageBatchDecoder> onBatch) {
      PageBatchDecoder decoder = new PageBatchDecoder(1 << 20);
      return new StreamObserver<>() {
        long n;
        long pages;

        @Override
        public void onNext(PageBatch b) {
          try {
            decoder.decode(b);
          } catch (BatchFormatException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
          }
          n++;
          pages += decoder.count();
          onBatch.accept(decoder);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onNext(StreamSummary.newBuilder().setBatches(n).setPages(pages).build());
          out.onCompleted();
        }
      };
    }

    @Override
    public void commit(CommitRequest req, StreamObserver<CommitResponse> out) {
      manifest.addAll(req.getManifestList());
      out.onNext(CommitResponse.newBuilder().setMatch(true).setResumed(true).setReadyMillis(2).build());
      out.onCompleted();
    }

    @Override
    public void abort(AbortRequest req, StreamObserver<AbortResponse> out) {
      out.onNext(AbortResponse.newBuilder().setAborted(true).build());
      out.onCompleted();
    }
  }

  private TargetSession open(int streams, boolean compress, long stallMillis) throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(17 << 20)
            .addService(dest)
            .build()
            .start();
    GrpcTargetConnector connector =
        new GrpcTargetConnector(new HostPort("127.0.0.1", server.getPort()), "test", 5_000, stallMillis);
    return connector.open(
        new VmShape(SLOTS, 1, BackingPageSize.SIZE_4K),
        new SessionOptions("m-1", streams, 64 << 10, compress, -1),
        new RateLimiter(0, NanoClock.system()));
  }

  @AfterEach
  void stop() {
    if (server != null) server.shutdownNow();
  }

  private static MapGuestMemory randomMemory(long seed) {
    MapGuestMemory m = new MapGuestMemory(SLOTS);
    Random rnd = new Random(seed);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (MemorySlotSpec s : SLOTS)
      for (long g = s.baseGfn(); g < s.endGfn(); g++) {
        if (rnd.nextInt(4) == 0) continue; // some never-written pages
        rnd.nextBytes(page);
        if (rnd.nextInt(8) == 0) java.util.Arrays.fill(page, (byte) 0); // some written zero pages
        m.writePage(g, page, 0);
      }
    return m;
  }

  @Test
  void theWarmUpsBatchesAreKeptOutOfTheRoundsLatencies() throws Exception {
    MapGuestMemory src = randomMemory(11);
    try (TargetSession s = open(2, false, 10_000)) {
      TargetSession.WarmUp w = s.warmUp(src, 262144, 4096L * GuestMemory.PAGE_SIZE, 5_000);
      assertThat(w.bytes()).isPositive();
      assertThat(dest.warmUpBatches.get()).isPositive();
      assertThat(dest.batches.get()).as("warm-up batches on the round's path").isZero();
      HarvestBitmap bitmap = HarvestBitmap.forMemory(src);
      bitmap.setAllPages(src);
      RoundTransfer t0 = s.sendRound(0, bitmap.publish(), src, ProgressSink.NONE);
      // the warm-up went through the same timed stub; only round 0's batches are in its figures
      assertThat(s.batchSendLatency().endRound().count()).isEqualTo(t0.batches()).isPositive();
    }
  }

  /** 16 MiB of RAM, 64 pages of it written with random bytes, one every 64 pages. */
  static MapGuestMemory sparselyWrittenGuest() {
    MapGuestMemory src = new MapGuestMemory(SLOTS);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (int i = 0; i < 64; i++) {
      new Random(i).nextBytes(page);
      src.writePage(262144 + i * 64, page, 0);
    }
    return src;
  }

  @Test
  void aWarmUpAsksForWhatTheDestinationAdvertisesOrTheGuestsSizeFromAnOlderOne() throws Exception {
    MapGuestMemory src = sparselyWrittenGuest();
    final long guestBytes = src.totalPages() * GuestMemory.PAGE_SIZE;
    final long overshoot = (64 << 10) + 2 * GuestMemory.PAGE_SIZE; // a batch and a page, per stream
    try (TargetSession s = open(1, false, 10_000)) {
      TargetSession.WarmUp w = s.warmUp(src, 262144, 4 * guestBytes, 20_000);
      assertThat(w.bytes()).as("an older destination: the guest's size").isBetween(guestBytes, guestBytes + overshoot);
    }
    dest.maxWarmUpBytes = 3 * guestBytes;
    try (TargetSession s = open(1, false, 10_000)) {
      TargetSession.WarmUp w = s.warmUp(src, 262144, 4 * guestBytes, 20_000);
      assertThat(w.bytes()).as("what the destination advertised").isBetween(3 * guestBytes, 3 * guestBytes + overshoot);
    }
  }

  @Test
  void aWarmUpIsSixCallsPerStreamOverManyPassesAndKeepsToItsBudget() throws Exception {
    MapGuestMemory src = sparselyWrittenGuest();
    final long guestBytes = src.totalPages() * GuestMemory.PAGE_SIZE;
    try (TargetSession s = open(2, false, 10_000)) {
      TargetSession.WarmUp w = s.warmUp(src, 262144, guestBytes, 10_000);
      assertThat(dest.warmUpCalls.get()).as("calls: six per stream, for all passes")
          .isEqualTo(2 * PageStreamSender.WARM_UP_CALLS);
      assertThat(dest.warmUpPages.get()).as("more than one pass per stream").isGreaterThan(2 * 2 * 4096L);
      // each stream stops within a batch (64 KiB here) and a page of its half of the budget (each
      // call's share is a fraction of what the calls before it left, the last call's all of it)
      assertThat(w.bytes()).isBetween(guestBytes, guestBytes + 2 * ((64 << 10) + 2 * GuestMemory.PAGE_SIZE));
    }
  }

  @Test
  void theWarmUpPassesOverTheRomAndTheFirst256MibOfRamOnly() throws Exception {
    final long ramBase = 262144;
    final int ramPages = 131072; // 512 MiB, sparse
    MapGuestMemory src =
        new MapGuestMemory(List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", ramBase, ramPages, false)));
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    java.util.Arrays.fill(page, (byte) 1);
    src.writePage(ramBase + ramPages - 1, page, 0);
    try (TargetSession s = open(1, false, 10_000)) {
      s.warmUp(src, ramBase, (long) ramPages * GuestMemory.PAGE_SIZE, 1_000);
      assertThat(dest.warmUpMaxGfn.get()).isEqualTo(ramBase + (GrpcTargetSession.WARM_UP_WINDOW_BYTES >> 12) - 1);
      assertThat(dest.warmUpMinGfn.get()).as("the ROM's first page").isZero();
      assertThat(dest.warmUpPages.get()).as("every pass covers the ROM and the window")
          .isGreaterThanOrEqualTo(8 + (GrpcTargetSession.WARM_UP_WINDOW_BYTES >> 12));
    }
  }

  @Test
  void everyPageArrivesOnFourStreamsAndTheManifestCountsTheBatches() throws Exception {
    long seed = System.nanoTime();
    System.out.println("seed " + seed);
    MapGuestMemory src = randomMemory(seed);
    try (TargetSession s = open(4, true, 10_000)) {
      HarvestBitmap bitmap = HarvestBitmap.forMemory(src);
      bitmap.setAllPages(src);
      AtomicLong progressPages = new AtomicLong();
      ProgressSink progress = (p, b) -> progressPages.addAndGet(p);
      RoundTransfer t0 = s.sendRound(0, bitmap.publish(), src, progress);
      assertThat(t0.pages()).isEqualTo(8 + 4096);
      assertThat(progressPages.get()).isEqualTo(t0.pages());
      // every batch of every stream was timed by the stream's BatchSendTimer
      assertThat(s.batchSendLatency().endRound().count()).isEqualTo(t0.batches()).isPositive();
      // round 1: overwrite some pages and send only those
      bitmap.clear();
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      for (long g = 262144 + 7; g < 262144 + 4096; g += 97) {
        page[5] = (byte) g;
        src.writePage(g, page, 0);
        bitmap.setRange(g, g + 1);
      }
      RoundTransfer t1 = s.sendRound(1, bitmap.publish(), src, ProgressSink.NONE);
      assertThat(t1.pages()).isEqualTo(bitmap.count());
      CommitOutcome out =
          s.commit(List.of(new VcpuSnapshot(0, 0, new long[31], "idle", new byte[0], 0)), new MemoryDigester(1).digest(src, false), true);
      assertThat(out.resumed()).isTrue();
      assertThat(dest.manifest.stream().mapToLong(StreamManifest::getBatchCount).sum())
          .isEqualTo(t0.batches() + t1.batches())
          .isEqualTo(dest.batches.get());
      assertThat(dest.manifest).allMatch(m -> m.getStream() < 4 && m.getRound() <= 1);
    }
    MemoryDigester d = new MemoryDigester(1);
    assertThat(d.digest(dest.memory, false).hex()).isEqualTo(d.digest(src, false).hex());
  }

  @Test
  void aDestinationThatStopsReadingTripsTheWatchdog() throws Exception {
    MapGuestMemory src = randomMemory(1);
    dest.stopReading = true;
    try (TargetSession s = open(1, false, 500)) {
      HarvestBitmap bitmap = HarvestBitmap.forMemory(src);
      bitmap.setAllPages(src);
      assertThatThrownBy(() -> s.sendRound(0, bitmap.publish(), src, ProgressSink.NONE))
          .isInstanceOf(TransferException.class)
          .hasMessageContaining("stalled");
    }
  }

  @Test
  void cancelInFlightFailsTheRoundPromptly() throws Exception {
    MapGuestMemory src = randomMemory(2);
    dest.stopReading = true;
    try (TargetSession s = open(2, false, 60_000)) {
      HarvestBitmap bitmap = HarvestBitmap.forMemory(src);
      bitmap.setAllPages(src);
      Thread canceller =
          new Thread(
              () -> {
                try {
                  Thread.sleep(300);
                } catch (InterruptedException ignored) {
                  return;
                }
                s.cancelInFlight("test cancel");
              });
      canceller.start();
      assertThatThrownBy(() -> s.sendRound(0, bitmap.publish(), src, ProgressSink.NONE))
          .isInstanceOf(TransferException.class)
          .hasMessageContaining("cancel");
      Threads.joinOrFail(canceller);
    }
  }
}
