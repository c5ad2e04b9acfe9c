package io.dbmmigrate.source.transport;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.GcPause;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.StartPostcopyRequest;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.source.migration.BatchSendLatency;
import io.dbmmigrate.source.migration.CommitOutcome;
import io.dbmmigrate.source.migration.DestCommitTimings;
import io.dbmmigrate.source.migration.DestinationProbe;
import io.dbmmigrate.source.migration.HarvestBitmap;
import io.dbmmigrate.source.migration.PostcopyTransfer;
import io.dbmmigrate.source.migration.ProgressSink;
import io.dbmmigrate.source.migration.RoundTransfer;
import io.dbmmigrate.source.migration.SessionOptions;
import io.dbmmigrate.source.migration.TargetSession;
import io.dbmmigrate.source.migration.TransferException;
import io.dbmmigrate.source.migration.VmShape;
import io.dbmmigrate.wire.ChannelTransport;
import io.dbmmigrate.wire.PageExecutor;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration session on a destination over gRPC: one control channel for the unary calls (each
 * with a deadline) and one channel — its own TCP connection and event loop — per page stream.
 *
 * <p>Threading: the controller thread calls everything but {@link #cancelInFlight}/{@link #abort}
 * (any thread). Rounds run on a fixed pool of one sender thread per stream; the manifest is written
 * by the controller thread only, after a round's senders finished (futures give the ordering).
 */
final class GrpcTargetSession implements TargetSession {
  private static final Logger log = LoggerFactory.getLogger(GrpcTargetSession.class);
  /** Commit hashes all memory on the destination: allow 60 s plus 1 s per 50 MB. */
  private static final long COMMIT_BASE_MILLIS = 60_000;

  private static final long COMMIT_BYTES_PER_SECOND = 50_000_000L;

  /** Batches gRPC may hold queued per stream before isReady turns false. */
  static final int ON_READY_BATCHES = 2;

  /** How often the warm-up drops its batch latencies (see {@link #warmUp}). */
  static final long WARM_UP_LATENCY_DROP_MILLIS = 250;

  /** The warm-up passes over at most this much of the start of RAM (see {@link #warmUp}). */
  static final long WARM_UP_WINDOW_BYTES = 256L << 20;

  private final HostPort target;
  private final ChannelCredentials credentials;
  private final RateLimiter limiter;
  private final long streamStallMillis;
  /**
   * Post-copy's own connection (URGENT channel), or null for a session begun without post-copy.
   * Opened and connected when the session begins, not after StartPostcopy: a vCPU that touches a
   * missing page right after resume must not wait for a TCP and HTTP/2 handshake (it did: 85–130
   * ms of the first request's latency, see the README's post-copy section).
   */
  private final ManagedChannel urgentChannel;
  private final ManagedChannel control;
  private final String sessionId;
  private final VmShape shape;
  private final long rpcTimeoutMillis;
  /** BeginSessionResponse.max_warm_up_bytes; 0: an older destination (the guest's size). */
  private final long maxWarmUpBytes;
  private final List<ManagedChannel> streamChannels = new ArrayList<>();
  private final List<PageStreamSender> senders = new ArrayList<>();
  /** Per-batch send latency of the streams (issue 15; timed by a {@link BatchSendTimer} per stream). */
  private final BatchSendLatency batchLatency;

  @Override
  public BatchSendLatency batchSendLatency() {
    return batchLatency;
  }
  private final ExecutorService pool;
  private final List<StreamManifest> manifest = new ArrayList<>();
  /** Sends a Heartbeat every HEARTBEAT_MILLIS while the session is open (see target.proto). */
  private final ScheduledExecutorService heartbeats;

  static final long HEARTBEAT_MILLIS = 1_000;
  /** Latest heartbeat round trip (heartbeat thread writes, controller reads; -1 before the first). */
  private volatile long lastRoundTripNanos = -1;

  @Override
  public double lastRoundTripMillis() {
    long n = lastRoundTripNanos;
    return n < 0 ? Double.NaN : n / 1e6;
  }

  GrpcTargetSession(
      ChannelTransport transport,
      HostPort target,
      ChannelCredentials credentials,
      ManagedChannel control,
      String sessionId,
      SessionOptions options,
      VmShape shape,
      RateLimiter limiter,
      long rpcTimeoutMillis,
      long streamStallMillis,
      long maxWarmUpBytes,
      PageExecutor pageExecutor) {
    this.target = target;
    this.maxWarmUpBytes = maxWarmUpBytes;
    this.credentials = credentials;
    this.limiter = limiter;
    this.streamStallMillis = streamStallMillis;
    this.control = control;
    this.sessionId = sessionId;
    this.shape = shape;
    this.rpcTimeoutMillis = rpcTimeoutMillis;
    this.batchLatency = new BatchSendLatency(options.streams());
    this.urgentChannel = options.postcopy() ? Channels.open(transport, target, credentials) : null;
    if (urgentChannel != null) urgentChannel.getState(true); // connect now, idle until the switchover
    for (int i = 0; i < options.streams(); i++) {
      ManagedChannel ch = Channels.open(transport, target, credentials);
      streamChannels.add(ch);
      senders.add(
          new PageStreamSender(
              i,
              // isReady stays true until this many bytes are queued in the transport (default
              // 32 KiB): two batches, so the sender encodes the next batch while gRPC still has
              // one to write. Memory in flight per stream: about three batches.
              withExecutor(MigrationTargetGrpc.newStub(ch), pageExecutor)
                  .withOnReadyThreshold(ON_READY_BATCHES * options.batchBytes())
                  .withInterceptors(new BatchSendTimer(batchLatency.stream(i), System::nanoTime)),
              options.batchBytes(),
              options.compress(),
              limiter,
              streamStallMillis));
    }
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "session-heartbeat");
              t.setDaemon(true);
              return t;
            });
    heartbeats.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            options.streams(),
            r -> {
              Thread t = new Thread(r, "page-stream-" + n.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public RoundTransfer sendRound(
      int round, HarvestBitmap.Round harvest, GuestMemory memory, ProgressSink progress)
      throws TransferException, InterruptedException {
    final long t0 = System.nanoTime();
    final BitmapCursor cursor = new BitmapCursor(harvest);
    List<Future<PageStreamSender.Result>> futures = new ArrayList<>(senders.size());
    for (PageStreamSender s : senders)
      futures.add(pool.submit(() -> s.sendRound(sessionId, round, cursor, memory, progress)));
    long pages = 0;
    long zero = 0;
    long raw = 0;
    long wire = 0;
    long batches = 0;
    Throwable failure = null;
    List<PageStreamSender.Result> results = new ArrayList<>();
    for (Future<PageStreamSender.Result> f : futures) {
      try {
        results.add(f.get());
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause();
          // One stream failed: stop the others too, the round cannot complete.
          for (PageStreamSender s : senders) s.cancel("another stream failed");
        }
      } catch (InterruptedException e) {
        for (PageStreamSender s : senders) s.cancel("interrupted");
        throw e;
      }
    }
    if (failure != null)
      throw new TransferException(
          "round " + round + ": " + messageOf(failure),
          failure);
    for (PageStreamSender.Result r : results) {
      pages += r.pages();
      zero += r.zeroPages();
      raw += r.rawBytes();
      wire += r.wireBytes();
      batches += r.batches();
      if (r.batches() > 0)
        manifest.add(
            StreamManifest.newBuilder().setStream(r.stream()).setRound(round).setBatchCount(r.batches()).build());
    }
    return new RoundTransfer(pages, zero, raw, wire, batches, System.nanoTime() - t0);
  }

  /**
   * Passes over the read-only slots (the ROM) and the first {@code bytes} of RAM, at most its first
   * {@link #WARM_UP_WINDOW_BYTES}, again and again, until {@code bytes} of payload went out or
   * {@code maxMillis} passed: a guest of mostly zero pages sends little payload per pass (8-byte
   * markers), and its few real pages are what the copy path needs. Every stream makes {@link
   * PageStreamSender#WARM_UP_CALLS} WarmUpPages calls, one after the other, that pass over the
   * whole window (each stream with its share of {@code bytes}), so the destination maps one
   * scratch memory per call, not per pass. The window keeps the warm-up at the page path's speed:
   * the destination places the pages into sparse scratch memory, and on a host that backs fresh memory
   * slowly (see {@code ChunkedGuestMemory}) a warm-up over all of a 4 GiB guest ran at 190 MB/s, a
   * quarter of round 0's rate, so that the compilers saw a quarter of the traffic. The ROM is in
   * the window because round 0 sends it: a page path compiled without ever seeing a read-only
   * page, or a batch of the ROM's zero pages, met both in round 0's first batches, and the
   * destination threw away its compiled batch check (a 1 to 2 s compilation on a 2-core machine)
   * and compiled it again inside the round.
   */
  @Override
  public WarmUp warmUp(GuestMemory memory, long ramBaseGfn, long bytes, long maxMillis)
      throws TransferException, InterruptedException {
    final long t0 = System.nanoTime();
    // What the destination allows: what it advertised, or (an older one) the guest's size.
    bytes = Math.min(bytes, maxWarmUpBytes > 0 ? maxWarmUpBytes : memory.totalPages() * GuestMemory.PAGE_SIZE);
    final long pages = Math.max(1, Math.min(bytes, WARM_UP_WINDOW_BYTES) / GuestMemory.PAGE_SIZE);
    HarvestBitmap range = HarvestBitmap.forMemory(memory);
    for (MemorySlotSpec slot : memory.slots())
      if (slot.readOnly()) range.setRange(slot.baseGfn(), slot.baseGfn() + slot.pageCount());
    range.setRange(ramBaseGfn, Math.min(ramBaseGfn + pages, memory.gfnLimit()));
    final HarvestBitmap.Round window = range.publish();
    final long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(maxMillis);
    final long perStream = Math.max(1, bytes / senders.size());
    long sent = 0;
    try {
      List<Future<PageStreamSender.Result>> futures = new ArrayList<>(senders.size());
      for (PageStreamSender s : senders)
        futures.add(pool.submit(() -> s.warmUp(sessionId, window, memory, deadline, perStream)));
      Throwable failure = null;
      // Every stream ends by itself (its budget, a pass without pages, or the deadline): wait for
      // all, so that no warm-up call is still open when round 0 starts; never cancel the senders
      // (a cancel would also fail their later rounds). Meanwhile the warm-up's batch latencies are
      // dropped every WARM_UP_LATENCY_DROP_MILLIS, as each round's end takes them: the recorders'
      // writers then meet the phase flips and fresh minima of the rounds. With one drop at the
      // warm-up's end, round 0's first batches took branches that the compiled sender (its flush
      // and gRPC's onNext) had never taken, and both were thrown away and compiled again inside
      // round 0 (unstable_if in HdrHistogram's WriterReaderPhaser and updateMinAndMax, in JFR).
      for (Future<PageStreamSender.Result> f : futures) {
        while (true) {
          try {
            sent += f.get(WARM_UP_LATENCY_DROP_MILLIS, TimeUnit.MILLISECONDS).wireBytes();
            break;
          } catch (TimeoutException e) {
            batchLatency.discardRecorded();
          } catch (ExecutionException e) {
            if (failure == null) failure = e.getCause();
            break;
          }
        }
      }
      if (failure != null) throw new TransferException("page-path warm-up: " + messageOf(failure), failure);
    } finally {
      range.clear();
      batchLatency.discardRecorded(); // the warm-up's batches are not the migration's
    }
    return new WarmUp(sent, System.nanoTime() - t0);
  }

  @Override
  public CommitOutcome commit(List<VcpuSnapshot> vcpus, Digest sourceDigest, boolean resume)
      throws TransferException {
    return commit(vcpus, sourceDigest, resume, io.dbmmigrate.digest.VerifyMode.STRICT);
  }

  @Override
  public CommitOutcome commit(
      List<VcpuSnapshot> vcpus, Digest sourceDigest, boolean resume, io.dbmmigrate.digest.VerifyMode mode)
      throws TransferException {
    CommitRequest.Builder req =
        CommitRequest.newBuilder()
            .setSessionId(sessionId)
            .addAllManifest(manifest)
            .setResume(resume)
            .setVerifyMode(VerifyModes.toProto(mode));
    if (sourceDigest != null) req.setSourceDigest(ProtoConversions.toProto(sourceDigest));
    for (VcpuSnapshot v : vcpus) req.addVcpus(ProtoConversions.toProto(v));
    long deadline = COMMIT_BASE_MILLIS + shape.memoryBytes() * 1000 / COMMIT_BYTES_PER_SECOND;
    CommitResponse resp;
    try {
      resp =
          MigrationTargetGrpc.newBlockingStub(control)
              .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
              .commit(req.build());
    } catch (StatusRuntimeException e) {
      throw new TransferException("Commit: " + GrpcErrors.describe(e), e);
    }
    List<String> ranges = new ArrayList<>();
    for (GpaRange g : resp.getMismatchedList())
      ranges.add(String.format(Locale.ROOT, "0x%x+0x%x", g.getStartGpa(), g.getLengthBytes()));
    return new CommitOutcome(
        resp.getMatch(),
        resp.getResumed(),
        ProtoConversions.fromProto(resp.getDestDigest()).hex(),
        ranges,
        resp.getReadyMillis(),
        resp.getVerifyMillis(),
        resp.getDetail(),
        destTimings(resp));
  }

  @Override
  public PostcopyTransfer startPostcopy(List<VcpuSnapshot> vcpus, List<long[]> missingRuns, long recoverMillis)
      throws TransferException {
    if (urgentChannel == null)
      throw new TransferException("StartPostcopy on a session begun without post-copy (no URGENT channel)");
    StartPostcopyRequest.Builder req = StartPostcopyRequest.newBuilder().setSessionId(sessionId);
    for (VcpuSnapshot v : vcpus) req.addVcpus(ProtoConversions.toProto(v));
    for (long[] run : missingRuns)
      req.addMissing(
          GpaRange.newBuilder()
              .setStartGpa(run[0] << GuestMemory.PAGE_SHIFT)
              .setLengthBytes((run[1] - run[0]) << GuestMemory.PAGE_SHIFT));
    try {
      MigrationTargetGrpc.newBlockingStub(control)
          .withDeadlineAfter(Math.max(rpcTimeoutMillis, 30_000), TimeUnit.MILLISECONDS)
          .startPostcopy(req.build());
    } catch (StatusRuntimeException e) {
      throw new TransferException("StartPostcopy: " + GrpcErrors.describe(e), e);
    }
    return new GrpcPostcopy(
        sessionId, control, urgentChannel, streamChannels.get(0), limiter, shape.gfnLimit(), rpcTimeoutMillis,
        streamStallMillis, recoverMillis);
  }

  /** A stream's failure for a message: its own message, or what it is when it has none. */
  private static String messageOf(Throwable failure) {
    return failure.getMessage() == null ? failure.toString() : failure.getMessage();
  }

  /** The optional destination timings (absent from destinations that predate them). */
  static DestCommitTimings destTimings(CommitResponse resp) {
    if (!resp.hasCompletenessMicros()) return DestCommitTimings.UNKNOWN;
    List<DestCommitTimings.GcPauseOffset> pauses = new ArrayList<>(resp.getGcPausesCount());
    for (GcPause p : resp.getGcPausesList())
      pauses.add(new DestCommitTimings.GcPauseOffset(p.getStartOffsetMicros() * 1000, p.getDurationMicros() * 1000));
    return new DestCommitTimings(
        true,
        resp.getCompletenessMicros() / 1000.0,
        resp.getRestoreMicros() / 1000.0,
        resp.getVerifyMicros() / 1000.0,
        resp.getResumeMicros() / 1000.0,
        resp.getLastBatchToCommitMicros() / 1000.0,
        resp.getGcReported(),
        pauses,
        resp.hasJitRoundsMillis() ? (double) resp.getJitRoundsMillis() : null,
        resp.hasJitCommitMillis() ? (double) resp.getJitCommitMillis() : null);
  }

  @Override
  public io.dbmmigrate.source.migration.VerifyOutcome verify(Digest sourceDigest) throws TransferException {
    io.dbmmigrate.proto.v1.VerifyResponse resp;
    long deadline = COMMIT_BASE_MILLIS + shape.memoryBytes() * 1000 / COMMIT_BYTES_PER_SECOND;
    try {
      resp =
          MigrationTargetGrpc.newBlockingStub(control)
              .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
              .verify(
                  io.dbmmigrate.proto.v1.VerifyRequest.newBuilder()
                      .setSessionId(sessionId)
                      .setSourceDigest(ProtoConversions.toProto(sourceDigest))
                      .build());
    } catch (StatusRuntimeException e) {
      throw new TransferException("Verify: " + GrpcErrors.describe(e), e);
    }
    List<String> ranges = new ArrayList<>();
    for (GpaRange g : resp.getMismatchedList())
      ranges.add(String.format(Locale.ROOT, "0x%x+0x%x", g.getStartGpa(), g.getLengthBytes()));
    return new io.dbmmigrate.source.migration.VerifyOutcome(
        resp.getMatch(),
        ProtoConversions.fromProto(resp.getDestDigest()).hex(),
        ranges,
        resp.getVerifyMillis(),
        resp.getPagesPreserved(),
        resp.getDetail());
  }

  /**
   * Tells the destination the source is alive during phases without page traffic (final sync,
   * hashing); returns its answer, or null when the call failed. Failures are only logged: a dead
   * destination shows up in the next real call. Any thread.
   */
  private HeartbeatResponse heartbeat() {
    try {
      long t0 = System.nanoTime();
      HeartbeatResponse r =
          MigrationTargetGrpc.newBlockingStub(control)
              .withDeadlineAfter(Math.min(rpcTimeoutMillis, 5_000), TimeUnit.MILLISECONDS)
              .heartbeat(HeartbeatRequest.newBuilder().setSessionId(sessionId).build());
      lastRoundTripNanos = System.nanoTime() - t0;
      return r;
    } catch (RuntimeException e) {
      log.debug("heartbeat to {} failed: {}", target, GrpcErrors.describe(e));
      return null;
    }
  }

  @Override
  public long peerJitCompileMillis() {
    HeartbeatResponse r = heartbeat();
    return r != null && r.hasJitCompileMillis() ? r.getJitCompileMillis() : -1;
  }

  @Override
  public void abort(String reason) {
    try {
      MigrationTargetGrpc.newBlockingStub(control)
          .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS)
          .abort(AbortRequest.newBuilder().setSessionId(sessionId).setReason(reason == null ? "" : reason).build());
    } catch (RuntimeException e) {
      log.info("abort of session {} on {} failed (best effort): {}", sessionId, target, GrpcErrors.describe(e));
    }
  }

  @Override
  public void cancelInFlight(String reason) {
    for (PageStreamSender s : senders) s.cancel(reason);
  }

  @Override
  public OptionalLong destinationStoresRetired() {
    try {
      DigestResponse r = inspect();
      return r.getHasVm() ? OptionalLong.of(r.getStoresRetired()) : OptionalLong.empty();
    } catch (RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public DestinationProbe probe() {
    try {
      DigestResponse r = inspect();
      return r.getHasVm() && "running".equals(r.getVmState())
          ? DestinationProbe.RUNNING
          : DestinationProbe.NOT_RUNNING;
    } catch (RuntimeException e) {
      return DestinationProbe.UNREACHABLE;
    }
  }

  private DigestResponse inspect() {
    return VmInspectionGrpc.newBlockingStub(control)
        .withDeadlineAfter(Math.max(rpcTimeoutMillis, 30_000), TimeUnit.MILLISECONDS)
        .getDigest(DigestRequest.newBuilder().setIncludeChunks(false).setProgressOnly(true).build());
  }

  @Override
  public void close() {
    heartbeats.shutdownNow();
    cancelInFlight("session closed");
    pool.shutdownNow();
    for (ManagedChannel ch : streamChannels) Channels.close(ch);
    if (urgentChannel != null) Channels.close(urgentChannel);
    Channels.close(control);
  }

  /** The stub whose calls run their callbacks per {@code pageExecutor} (the channel's default for POOL). */
  private static MigrationTargetGrpc.MigrationTargetStub withExecutor(
      MigrationTargetGrpc.MigrationTargetStub stub, PageExecutor pageExecutor) {
    final java.util.concurrent.Executor e = pageExecutor.executorOrNull();
    return e == null ? stub : stub.withExecutor(e);
  }
}
