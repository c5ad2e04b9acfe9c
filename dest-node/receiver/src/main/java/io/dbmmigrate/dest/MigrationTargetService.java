package io.dbmmigrate.dest;

import io.dbmmigrate.digest.ChunkRange;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.machine.GuestMemory;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.net.tls.PeerAuthorizationInterceptor;
import io.dbmmigrate.net.tls.PeerIdentity;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.AbortResponse;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.SessionOptions;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.proto.v1.VcpuState;
import io.dbmmigrate.wire.PageBatchDecoder;
import io.dbmmigrate.wire.PageBatchFormat;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's gRPC service (wire contract v1, {@code MigrationTarget}): a thin adapter over
 * {@link ReceiveSession} and the node's {@link VmHost}.
 *
 * <p>Safety rules kept here: at most one session at a time (VmHost); any protocol violation ends
 * the session (the VM is discarded and never resumed); a VM resumes only after a commit whose
 * manifest matches every batch that arrived and whose digest matches the source's.
 */
public final class MigrationTargetService extends MigrationTargetGrpc.MigrationTargetImplBase {
  private static final Logger log = LoggerFactory.getLogger(MigrationTargetService.class);
  /** Batches a stream may have delivered but not yet applied (bounded receive-side memory). */
  private static final int STREAM_WINDOW = 4;

  private final VmHost host;
  private final TargetConfig config;
  private final LongSupplier nanoClock;
  private final MemoryDigester digester;
  private final AtomicReference<ReceiveSession> current = new AtomicReference<>();
  private final GcPauseRecorder gc;

  public MigrationTargetService(
      VmHost host, TargetConfig config, ScheduledExecutorService scheduler, LongSupplier nanoClock) {
    this.host = host;
    this.config = config;
    this.nanoClock = nanoClock;
    this.digester = MemoryDigester.withAvailableProcessors();
    this.gc = GcPauseRecorder.start(nanoClock);
    scheduler.scheduleWithFixedDelay(this::reapIdleSession, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * The session being received, for monitoring: {active 0/1, batches applied, pages applied, bytes
   * received}; zeros when none. Any thread; the counters are independent atomics.
   */
  public long[] receivingNow() {
    ReceiveSession s = current.get();
    if (s == null) return new long[4];
    return new long[] {1, s.ledger.batches(), s.pagesApplied(), s.bytesReceived()};
  }

  @Override
  public void beginSession(BeginSessionRequest req, StreamObserver<BeginSessionResponse> out) {
    try {
      VmSpec spec = validate(req);
      String refusal = host.beginReceive();
      if (refusal != null) {
        out.onError(Status.FAILED_PRECONDITION.withDescription(refusal).asRuntimeException());
        return;
      }
      VirtualMachine vm;
      try {
        vm = SimulatedVms.create(spec);
      } catch (RuntimeException | OutOfMemoryError e) {
        host.abortReceive();
        throw new TargetException(
            Status.RESOURCE_EXHAUSTED, "cannot create the incoming VM: " + e.getMessage());
      }
      // With mutual TLS the certificate's identity wins over what the source claims.
      PeerIdentity peer = PeerAuthorizationInterceptor.PEER_IDENTITY.get();
      String sourceId =
          peer == null ? req.getSourceId() : peer.describe() + " (claims '" + req.getSourceId() + "')";
      ReceiveSession s =
          new ReceiveSession(
              UUID.randomUUID().toString(), req.getMigrationId(), sourceId, vm,
              req.getOptions(), nanoClock.getAsLong());
      current.set(s);
      log.info(
          "session {} begun: migration {} from '{}', {} of RAM, {} vCPUs, {} streams",
          s.id, req.getMigrationId(), sourceId, spec.ramBytes(), spec.vcpuCount(),
          req.getOptions().getStreams());
      out.onNext(
          BeginSessionResponse.newBuilder()
              .setSessionId(s.id)
              .setMaxInboundMessageBytes(config.maxInboundMessageBytes())
              .build());
      out.onCompleted();
    } catch (TargetException e) {
      out.onError(e.status().asRuntimeException());
    }
  }

  private VmSpec validate(BeginSessionRequest req) throws TargetException {
    if (req.getProtocolVersion() != 1)
      throw TargetException.invalid(
          "protocol version " + req.getProtocolVersion() + " is not supported; this node speaks 1");
    SessionOptions o = req.getOptions();
    if (o.getStreams() < 1 || o.getStreams() > config.maxStreams())
      throw TargetException.invalid(
          "streams must be 1.." + config.maxStreams() + ", not " + Integer.toUnsignedString(o.getStreams()));
    if (o.getMaxBatchBytes() < PageBatchFormat.MIN_BATCH_BYTES || o.getMaxBatchBytes() > config.maxBatchBytes())
      throw TargetException.invalid(
          "max_batch_bytes must be " + PageBatchFormat.MIN_BATCH_BYTES + ".." + config.maxBatchBytes()
              + ", not " + Integer.toUnsignedString(o.getMaxBatchBytes()));
    if (o.getCompression() != Compression.COMPRESSION_NONE && o.getCompression() != Compression.COMPRESSION_LZ4)
      throw TargetException.invalid("unsupported compression " + o.getCompressionValue());
    if (o.getTestCorruptGfn() > 0 && !config.allowTestFaults())
      throw new TargetException(
          Status.PERMISSION_DENIED, "test fault injection refused: destination not started with --allow-test-faults");
    if (!req.hasLayout()) throw TargetException.invalid("layout missing");
    long guestBytes = 0;
    for (var slot : req.getLayout().getSlotsList()) {
      long pagesInSlot = slot.getPageCount();
      if (pagesInSlot < 0 || pagesInSlot > (config.maxGuestBytes() >>> GuestMemory.PAGE_SHIFT)
          || (guestBytes += pagesInSlot << GuestMemory.PAGE_SHIFT) > config.maxGuestBytes())
        throw TargetException.invalid(
            "guest larger than this node accepts (" + config.maxGuestBytes() + " bytes; see --max-guest-bytes)");
    }
    try {
      return ProtoConversions.specForIncoming(req.getLayout(), config.tuning());
    } catch (IllegalArgumentException e) {
      throw TargetException.invalid("bad layout: " + e.getMessage());
    }
  }

  private ReceiveSession session(String id) throws TargetException {
    ReceiveSession s = current.get();
    if (s == null || !s.id.equals(id) || s.isEnded())
      throw new TargetException(Status.NOT_FOUND, "no session '" + id + "' on this node");
    return s;
  }

  /** Ends and discards the session: the VM is closed, never resumed. */
  private void discard(ReceiveSession s, String reason) {
    if (s.end()) dispose(s, reason);
  }

  private void reapIdleSession() {
    ReceiveSession s = current.get();
    if (s == null || s.isCommitting()) return;
    long idle = s.idleNanos(nanoClock.getAsLong());
    if (idle > TimeUnit.MILLISECONDS.toNanos(config.sessionIdleTimeoutMillis()))
      discard(s, "no message from the source for " + idle / 1_000_000 + " ms (source presumed dead)");
  }

  @Override
  public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> responseObserver) {
    ServerCallStreamObserver<StreamSummary> out =
        (ServerCallStreamObserver<StreamSummary>) responseObserver;
    // Manual flow control: at most STREAM_WINDOW batches delivered ahead of the one being applied,
    // so a fast sender cannot fill this node's memory; HTTP/2 flow control pushes back on it.
    out.disableAutoRequest();
    out.request(STREAM_WINDOW);
    return new PageStreamReceiver(out);
  }

  /** One SendPages call. gRPC delivers its callbacks serially. */
  private final class PageStreamReceiver implements StreamObserver<PageBatch> {
    private final ServerCallStreamObserver<StreamSummary> out;
    private final PageBatchDecoder decoder = new PageBatchDecoder(config.maxBatchBytes());
    private ReceiveSession session;
    private boolean closed;
    private long batches;
    private long pages;
    private long bytes;

    PageStreamReceiver(ServerCallStreamObserver<StreamSummary> out) {
      this.out = out;
    }

    @Override
    public void onNext(PageBatch batch) {
      if (closed) return;
      try {
        if (session == null) {
          session = session(batch.getSessionId());
          session.streamOpened();
        } else if (!session.id.equals(batch.getSessionId())) {
          throw TargetException.invalid("a page stream must carry one session only");
        }
        session.apply(decoder, batch, nanoClock.getAsLong());
        batches++;
        pages += batch.getPageCount();
        bytes += batch.getPayload().size();
        out.request(1);
      } catch (TargetException e) {
        fail(e.status(), e.getMessage());
      } catch (RuntimeException e) {
        log.error("applying a batch failed", e);
        fail(Status.INTERNAL, "applying a batch failed: " + e);
      }
    }

    private void fail(Status status, String reason) {
      closed = true;
      if (session != null) {
        session.streamClosed();
        discard(session, reason);
      }
      out.onError(status.withDescription(reason).asRuntimeException());
    }

    @Override
    public void onError(Throwable t) {
      if (closed) return;
      closed = true;
      if (session != null) {
        session.streamClosed();
        discard(session, "page stream broken: " + Status.fromThrowable(t));
      }
    }

    @Override
    public void onCompleted() {
      if (closed) return;
      closed = true;
      if (session != null) {
        session.streamClosed();
        session.touch(nanoClock.getAsLong());
      }
      out.onNext(StreamSummary.newBuilder().setBatches(batches).setPages(pages).setBytes(bytes).build());
      out.onCompleted();
    }
  }

  @Override
  public void commit(CommitRequest req, StreamObserver<CommitResponse> out) {
    final long t0 = nanoClock.getAsLong();
    ReceiveSession s;
    try {
      s = session(req.getSessionId());
    } catch (TargetException e) {
      out.onError(e.status().asRuntimeException());
      return;
    }
    if (s.openStreams() > 0) {
      out.onError(
          Status.FAILED_PRECONDITION
              .withDescription(s.openStreams() + " page streams are still open; finish them before Commit")
              .asRuntimeException());
      return;
    }
    if (!s.beginCommit()) {
      out.onError(Status.FAILED_PRECONDITION.withDescription("commit already in progress").asRuntimeException());
      return;
    }
    if (!s.end()) {
      out.onError(Status.ABORTED.withDescription("session " + s.id + " has ended").asRuntimeException());
      return;
    }
    // From here no batch is applied any more; the session is ours to finish.
    try {
      CommitResponse response = finishCommit(s, req, t0);
      out.onNext(response);
      out.onCompleted();
    } catch (TargetException e) {
      dispose(s, e.getMessage());
      out.onError(e.status().asRuntimeException());
    } catch (RuntimeException e) {
      log.error("commit failed", e);
      dispose(s, e.toString());
      out.onError(Status.INTERNAL.withDescription("commit failed: " + e).asRuntimeException());
    }
  }

  /** After end(): closes the VM of a session that will not be resumed. */
  private void dispose(ReceiveSession s, String reason) {
    s.vm.close();
    current.compareAndSet(s, null);
    host.abortReceive();
    log.warn("session {} discarded, not resumed: {}", s.id, reason);
  }

  private CommitResponse finishCommit(ReceiveSession s, CommitRequest req, long t0) throws TargetException {
    List<String> missing = s.ledger.missingAgainst(req.getManifestList());
    if (!missing.isEmpty())
      throw new TargetException(
          Status.DATA_LOSS,
          "incomplete transfer, VM not resumed: "
              + String.join("; ", missing.subList(0, Math.min(10, missing.size())))
              + (missing.size() > 10 ? "; and " + (missing.size() - 10) + " more" : ""));
    if (!req.hasSourceDigest() || req.getSourceDigest().getSha256().size() != 32)
      throw TargetException.invalid("commit without the source's SHA-256 digest");
    final long tComplete = nanoClock.getAsLong();
    List<VcpuSnapshot> vcpus = vcpuStates(s, req.getVcpusList());
    try {
      s.vm.restoreVcpuStates(vcpus);
    } catch (IllegalArgumentException e) {
      throw TargetException.invalid("vCPU states refused: " + e.getMessage());
    }
    long corrupt = s.options.getTestCorruptGfn();
    if (corrupt > 0 && config.allowTestFaults()) corruptPage(s.vm.memory(), corrupt);
    final long tReady = nanoClock.getAsLong();
    final long readyNanos = tReady - t0;

    Digest source = ProtoConversions.fromProto(req.getSourceDigest());
    Digest dest = digester.digest(s.vm.memory(), !source.chunkSha256().isEmpty());
    boolean match = dest.sameMemoryAs(source);
    CommitResponse.Builder r =
        CommitResponse.newBuilder()
            .setMatch(match)
            .setDestDigest(ProtoConversions.toProto(dest))
            .setReadyMillis(readyNanos / 1_000_000)
            .setVerifyMillis(dest.hashMillis());
    final long tHashed = nanoClock.getAsLong();
    DowntimeTimings.fill(r, s, t0, tComplete, tReady, tHashed);
    if (!match) {
      for (int chunk : source.differingChunks(dest)) {
        ChunkRange range = MemoryDigester.rangeOfChunk(s.vm.memory().slots(), dest.chunkBytes(), chunk);
        r.addMismatched(GpaRange.newBuilder().setStartGpa(range.startGpa()).setLengthBytes(range.lengthBytes()));
      }
      dispose(s, "digest mismatch: source " + source.hex() + ", destination " + dest.hex());
      DowntimeTimings.finish(r, gc, s, t0, tHashed, nanoClock.getAsLong());
      return r.setResumed(false).setDetail("digest mismatch; VM discarded, not resumed").build();
    }
    host.completeReceive(
        s.vm,
        "the VM received in session " + s.id + " (" + s.vm.memory().totalPages() * GuestMemory.PAGE_SIZE
            + " bytes of guest memory, " + s.vm.vcpuCount() + " vCPUs)");
    current.compareAndSet(s, null);
    if (req.getResume()) {
      s.vm.resume();
      DowntimeTimings.finish(r, gc, s, t0, tHashed, nanoClock.getAsLong());
      log.info(
          "session {} committed: digest {} matches, VM resumed ({} pages applied)",
          s.id, dest.hex(), s.pagesApplied());
      return r.setResumed(true).setDetail("resumed").build();
    }
    log.info("session {} verified (digest {} matches), VM kept paused", s.id, dest.hex());
    DowntimeTimings.finish(r, gc, s, t0, tHashed, nanoClock.getAsLong());
    return r.setResumed(false).setDetail("verified; kept paused as asked").build();
  }

  private static List<VcpuSnapshot> vcpuStates(ReceiveSession s, List<VcpuState> states) throws TargetException {
    int n = s.vm.vcpuCount();
    if (states.size() != n)
      throw TargetException.invalid("commit carries " + states.size() + " vCPU states; the VM has " + n);
    boolean[] seen = new boolean[n];
    for (VcpuState v : states) {
      if (v.getIndex() >= n || seen[v.getIndex()])
        throw TargetException.invalid("vCPU index " + v.getIndex() + " is out of range or repeated");
      seen[v.getIndex()] = true;
    }
    return ProtoConversions.fromProto(states);
  }

  /** Test-only fault: flips one byte of a page, so that the digests must differ. */
  private static void corruptPage(GuestMemory mem, long gfn) {
    if (mem.slotOf(gfn) == null) return;
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    mem.readPage(gfn, page, 0);
    page[123] ^= (byte) 0x5a;
    mem.writePage(gfn, page, 0);
    log.warn("TEST FAULT: corrupted gfn 0x{} after applying it", Long.toHexString(gfn));
  }

  @Override
  public void heartbeat(HeartbeatRequest req, StreamObserver<HeartbeatResponse> out) {
    try {
      ReceiveSession s = session(req.getSessionId());
      s.touch(nanoClock.getAsLong());
      out.onNext(HeartbeatResponse.newBuilder().setBatchesApplied(s.ledger.batches()).build());
      out.onCompleted();
    } catch (TargetException e) {
      out.onError(e.status().asRuntimeException());
    }
  }

  @Override
  public void abort(AbortRequest req, StreamObserver<AbortResponse> out) {
    ReceiveSession s = current.get();
    boolean aborted = false;
    if (s != null && s.id.equals(req.getSessionId()) && !s.isCommitting()) {
      aborted = s.end();
      if (aborted) dispose(s, "aborted by the source: " + req.getReason());
    }
    out.onNext(AbortResponse.newBuilder().setAborted(aborted).build());
    out.onCompleted();
  }
}
