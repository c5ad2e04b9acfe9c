package io.dbmmigrate.dest;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.digest.ChunkRange;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.proto.v1.CompletePostcopyResponse;
import io.dbmmigrate.proto.v1.CompletePostcopyRequest;
import io.dbmmigrate.proto.v1.GuestRateSample;
import io.dbmmigrate.proto.v1.StartPostcopyResponse;
import io.dbmmigrate.proto.v1.StartPostcopyRequest;
import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.VcpuState;
import io.dbmmigrate.proto.v1.VerifyMode;
import io.dbmmigrate.proto.v1.VerifyRequest;
import io.dbmmigrate.proto.v1.VerifyResponse;
import io.dbmmigrate.snapshot.WriteProtectSnapshot;
import io.dbmmigrate.wire.ProtoConversions;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's receive side, free of any transport: begin, apply (through {@link
 * PageStream}), commit, abort, heartbeat and reap. Refusals are {@link TargetException}s with a
 * {@link ReceiveError} kind; the gRPC adapter ({@link MigrationTargetService}) maps them.
 *
 * <p>Safety rules kept here: at most one session at a time (VmHost); any protocol violation ends
 * the session (the VM is discarded and never resumed); a VM resumes only after a commit whose
 * manifest matches every batch that arrived and whose digest matches the source's.
 *
 * <p>Memory rules: a session is admitted only when its guest fits the node's {@link GuestCapacity}
 * and all its declared streams fit the {@link InboundBudget} ({@link SessionAdmission}); a
 * stream's working memory is reserved from that budget when its call claims the stream, and
 * released when it ends ({@link PageStream}).
 *
 * <p>Every client string that reaches a log or a refusal goes through {@link ClientText}.
 *
 * <p>Post-copy seam: page requests (the destination asking for pages a resumed vCPU touched before
 * they arrived) belong here, beside {@link #openStream}: a {@code PageRequests} port that the
 * session's VM calls on a missing-page fault and the adapter serves on its own stream. Nothing in
 * this class assumes the VM stays paused until commit except {@link #commit}.
 */
public final class Receiver {
  private static final Logger log = LoggerFactory.getLogger(Receiver.class);

  private final VmHost host;
  private final TargetConfig config;
  private final LongSupplier nanoClock;
  private final MemoryDigester digester;
  private final InboundBudget budget;
  private final SessionAdmission admission;
  private final RateLimitedLog refusals;
  private final AtomicReference<ReceiveSession> current = new AtomicReference<>();
  /** The last BACKGROUND verification, until Verify answered it or a new session began. */
  private final AtomicReference<BackgroundVerification> background = new AtomicReference<>();
  private volatile boolean lastResumed;
  private final GcPauseRecorder gc; // this JVM's collector pauses, reported with each commit

  /** Memory backed at node start for the first incoming VM ({@code --prealloc-ram}). */
  private final PreallocatedRam preallocated;

  public Receiver(
      VmHost host, TargetConfig config, InboundBudget budget, GuestCapacity guestCapacity,
      LongSupplier nanoClock) {
    this(host, config, budget, guestCapacity, nanoClock, PreallocatedRam.none());
  }

  /** With memory backed before any migration for the first incoming VM that fits it. */
  public Receiver(
      VmHost host, TargetConfig config, InboundBudget budget, GuestCapacity guestCapacity,
      LongSupplier nanoClock, PreallocatedRam preallocated) {
    this.preallocated = preallocated;
    this.host = host;
    this.config = config;
    this.budget = budget;
    this.admission = new SessionAdmission(config, budget, guestCapacity);
    this.nanoClock = nanoClock;
    this.digester = MemoryDigester.withAvailableProcessors();
    this.refusals = new RateLimitedLog(log, nanoClock);
    this.gc = GcPauseRecorder.start(nanoClock);
  }

  public InboundBudget budget() {
    return budget;
  }

  /**
   * The session being received, for monitoring: {active 0/1, batches applied, pages applied, bytes
   * received, warm-up bytes received}; zeros when none. Any thread; the counters are independent
   * atomics.
   */
  public long[] receivingNow() {
    ReceiveSession s = current.get();
    if (s == null) return new long[5];
    return new long[] {1, s.vmTarget.ledger.batches(), s.pagesApplied(), s.bytesReceived(), s.warmUpBytes()};
  }

  /** The receiver state of target.proto. */
  public ReceiverState state() {
    ReceiveSession s = current.get();
    if (s != null && s.postcopy != null)
      return s.postcopy.urgentConnected() ? ReceiverState.POSTCOPY : ReceiverState.POSTCOPY_PAUSED;
    if (s != null && !s.isEnded()) return ReceiverState.RECEIVING;
    if (s != null && s.isCommitting()) return ReceiverState.VERIFYING;
    return lastResumed && host.state() == VmHost.State.HOSTING ? ReceiverState.RESUMED : ReceiverState.IDLE;
  }

  // ---- begin ----

  /**
   * Opens a session.
   *
   * @param verifiedPeer the identity proven by the transport (mutual TLS), or null
   */
  public BeginSessionResponse begin(BeginSessionRequest req, String verifiedPeer) throws TargetException {
    VmSpec spec = admission.admit(req);
    // A background verification still hashing the hosted VM stops before that VM can go.
    BackgroundVerification bg = background.getAndSet(null);
    if (bg != null) bg.cancel();
    String refusal = host.beginReceive();
    if (refusal != null) throw new TargetException(ReceiveError.WRONG_STATE, refusal);
    VirtualMachine vm;
    ChunkedGuestMemory ram = null;
    try {
      ram = preallocated.takeFor(spec.slots());
      vm = SimulatedVms.builder(spec).memory(ram).build();
      if (ram != null) log.info("the incoming VM's memory is the one preallocated at start (--prealloc-ram)");
    } catch (RuntimeException | OutOfMemoryError e) {
      if (ram != null) ram.close(); // nobody else saw it
      host.abortReceive();
      log.warn("cannot create the incoming VM ({} bytes of RAM): {}", spec.ramBytes(), e.toString());
      throw new TargetException(ReceiveError.NO_CAPACITY, "cannot create the incoming VM on this node");
    }
    // With mutual TLS the certificate's identity wins over what the source claims.
    String claimed = ClientText.quote(req.getSourceId());
    String sourceId = verifiedPeer == null ? claimed : verifiedPeer + " (claims " + claimed + ")";
    ReceiveSession s =
        new ReceiveSession(
            UUID.randomUUID().toString(), req.getMigrationId(), sourceId, vm, req.getOptions(),
            nanoClock.getAsLong(), config.warmUpBytesFor(vm.memory().totalPages() * GuestMemory.PAGE_SIZE));
    current.set(s);
    lastResumed = false;
    log.info(
        "session {} begun: migration {} from {}, {} of RAM, {} vCPUs, {} streams",
        s.id, ClientText.quote(req.getMigrationId()), sourceId, spec.ramBytes(), spec.vcpuCount(),
        req.getOptions().getStreams());
    return BeginSessionResponse.newBuilder()
        .setSessionId(s.id)
        .setMaxInboundMessageBytes(config.maxInboundMessageBytes())
        .setMaxWarmUpBytes(s.maxWarmUpBytes())
        .build();
  }

  // ---- sessions ----

  private ReceiveSession session(String id) throws TargetException {
    ReceiveSession s = current.get();
    if (s == null || !s.id.equals(id) || s.isEnded())
      throw new TargetException(ReceiveError.UNKNOWN_SESSION, "no session " + ClientText.quote(id) + " on this node");
    return s;
  }

  /** Ends and discards the session: the VM is closed, never resumed. */
  private void discard(ReceiveSession s, String reason) {
    if (s.end()) dispose(s, reason);
  }

  /** After end(): closes the VM of a session that will not be resumed. */
  private void dispose(ReceiveSession s, String reason) {
    s.vm.close();
    current.compareAndSet(s, null);
    host.abortReceive();
    refusals.warn("session {} discarded, not resumed: {}", s.id, reason);
  }

  /** Discards a session that heard nothing for the idle timeout (the source is presumed dead). */
  public void reapIdleSession() {
    ReceiveSession s = current.get();
    if (s == null) return;
    long idle = s.idleNanos(nanoClock.getAsLong());
    if (s.postcopy != null) {
      // Never discarded here: the VM runs with part of its memory on the source.
      if (idle > TimeUnit.MILLISECONDS.toNanos(config.sessionIdleTimeoutMillis()) && !s.postcopy.urgentConnected())
        refusals.warn(
            "session {}: POST-COPY PAUSED: no channel from the source for {} ms and {} pages missing; vCPUs"
                + " touching them wait. If the source is gone, this VM is lost.",
            s.id, idle / 1_000_000, s.postcopy.missingCount());
      return;
    }
    if (s.isCommitting()) return;
    if (idle > TimeUnit.MILLISECONDS.toNanos(config.sessionIdleTimeoutMillis()))
      discard(s, "no message from the source for " + idle / 1_000_000 + " ms (source presumed dead)");
  }

  public HeartbeatResponse heartbeat(HeartbeatRequest req) throws TargetException {
    ReceiveSession p = current.get();
    ReceiveSession s = p != null && p.postcopy != null && p.id.equals(req.getSessionId()) ? p : session(req.getSessionId());
    s.touch(nanoClock.getAsLong());
    HeartbeatResponse.Builder r = HeartbeatResponse.newBuilder().setBatchesApplied(s.vmTarget.ledger.batches());
    final long jit = JitClock.compileMillis();
    if (jit >= 0) r.setJitCompileMillis(jit);
    return r.build();
  }

  /** Discards the session unless its commit started; false when there was no such session. */
  public boolean abort(AbortRequest req) {
    ReceiveSession s = current.get();
    if (s != null && s.id.equals(req.getSessionId()) && !s.isCommitting() && s.end()) {
      dispose(s, "aborted by the source: " + ClientText.quote(req.getReason()));
      return true;
    }
    return false;
  }

  // ---- pages ----

  /** A new page stream (one SendPages call); it binds to its session with its first batch. */
  /** The VM of the session being received, if any (tests: what a call changed in it). */
  java.util.Optional<io.dbmmigrate.machine.VirtualMachine> receivingVm() {
    ReceiveSession s = current.get();
    return s == null ? java.util.Optional.empty() : java.util.Optional.of(s.vm);
  }

  public PageStream openStream() {
    return new PageStream(this, budget, nanoClock);
  }

  /** A WarmUpPages call: checked like a page stream, placed into scratch memory (see BatchTarget). */
  PageStream openWarmUp() {
    return PageStream.warmUp(this, budget, nanoClock);
  }

  ReceiveSession sessionForStream(String id) throws TargetException {
    return session(id);
  }

  void discardForStream(ReceiveSession s, String reason) {
    discard(s, reason);
  }

  // ---- commit ----

  /**
   * Verifies and (on match) resumes. The session ends either way.
   *
   * @param callerGone answers true once the caller cancelled or its deadline passed: hashing then
   *     stops and the session is discarded (CANCELLED)
   */
  public CommitResponse commit(CommitRequest req, BooleanSupplier callerGone) throws TargetException {
    final long t0 = nanoClock.getAsLong();
    final long jit0 = JitClock.compileMillis();
    ReceiveSession s = session(req.getSessionId());
    s.jitAtCommit = jit0;
    if (s.openStreams() > 0)
      throw new TargetException(
          ReceiveError.WRONG_STATE, s.openStreams() + " page streams are still open; finish them before Commit");
    if (!s.beginCommit()) throw new TargetException(ReceiveError.WRONG_STATE, "commit already in progress");
    if (!s.end()) throw new TargetException(ReceiveError.ENDED, "session " + s.id + " has ended");
    // From here no batch is applied any more; the session is ours to finish.
    boolean finished = false;
    try {
      CommitResponse r = finishCommit(s, req, t0, callerGone);
      finished = true;
      return r;
    } catch (TargetException e) {
      finished = true;
      dispose(s, e.getMessage());
      throw e;
    } finally {
      // Anything unexpected (a RuntimeException, an Error): the VM is not resumed, the node is free.
      if (!finished) dispose(s, "commit failed unexpectedly");
    }
  }

  private CommitResponse finishCommit(ReceiveSession s, CommitRequest req, long t0, BooleanSupplier callerGone)
      throws TargetException {
    List<String> missing = s.vmTarget.ledger.missingAgainst(req.getManifestList());
    if (!missing.isEmpty())
      throw new TargetException(
          ReceiveError.INCOMPLETE,
          "incomplete transfer, VM not resumed: "
              + String.join("; ", missing.subList(0, Math.min(10, missing.size())))
              + (missing.size() > 10 ? "; and " + (missing.size() - 10) + " more" : ""));
    final VerifyMode mode = effectiveMode(req);
    if (mode == VerifyMode.VERIFY_MODE_STRICT) checkSourceDigest(s, req.getSourceDigest(), req.hasSourceDigest());
    final long tComplete = nanoClock.getAsLong();
    List<VcpuSnapshot> vcpus = vcpuStates(s, req.getVcpusList());
    try {
      s.vm.restoreVcpuStates(vcpus);
    } catch (IllegalArgumentException e) {
      throw TargetException.invalid("vCPU states refused: " + ClientText.quote(e.getMessage()));
    }
    long corrupt = s.options.getTestCorruptGfn();
    if (corrupt > 0 && config.allowTestFaults()) TestFaults.corruptPage(s.vm.memory(), corrupt);
    final long tReady = nanoClock.getAsLong();
    final long readyNanos = tReady - t0;

    if (mode != VerifyMode.VERIFY_MODE_STRICT) return resumeUnverified(s, mode, t0, tComplete, tReady);
    Digest source = ProtoConversions.fromProto(req.getSourceDigest());
    // One pass: the tree; the flat digest only for a source that sent nothing else.
    Digest dest = hash(s, !source.hasTree(), callerGone);
    boolean match = dest.sameMemoryAs(source);
    CommitResponse.Builder r =
        CommitResponse.newBuilder()
            .setMatch(match)
            .setDestDigest(ProtoConversions.toProto(dest))
            .setReadyMillis(readyNanos / 1_000_000)
            .setVerifyMillis(dest.hashMillis())
            .setVerifyMode(VerifyMode.VERIFY_MODE_STRICT);
    final long tHashed = nanoClock.getAsLong();
    DowntimeTimings.fill(r, s, t0, tComplete, tReady, tHashed);
    if (!match) {
      r.addAllMismatched(mismatchedRanges(s.vm.memory().slots(), source, dest));
      dispose(s, "digest mismatch: source " + source.hex() + ", destination " + dest.hex());
      DowntimeTimings.finish(r, gc, s, t0, tHashed, nanoClock.getAsLong());
      return r.setResumed(false).setDetail("digest mismatch; VM discarded, not resumed").build();
    }
    host.completeReceive(
        s.vm,
        "the VM received in session " + s.id + " (" + s.vm.memory().totalPages() * GuestMemory.PAGE_SIZE
            + " bytes of guest memory, " + s.vm.vcpuCount() + " vCPUs)");
    current.compareAndSet(s, null);
    lastResumed = true;
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

  /** STRICT (or unset) unless the source asked for BACKGROUND or OFF; verify-only is always strict. */
  private static VerifyMode effectiveMode(CommitRequest req) {
    VerifyMode m = req.getVerifyMode();
    if (!req.getResume()) return VerifyMode.VERIFY_MODE_STRICT;
    if (m == VerifyMode.VERIFY_MODE_BACKGROUND || m == VerifyMode.VERIFY_MODE_OFF) return m;
    return VerifyMode.VERIFY_MODE_STRICT;
  }

  private void checkSourceDigest(ReceiveSession s, io.dbmmigrate.proto.v1.MemoryDigest d, boolean present)
      throws TargetException {
    if (!present || (d.getSha256().size() != 32 && d.getTreeSha256().size() != 32))
      throw TargetException.invalid("commit without the source's digest (tree root or flat SHA-256)");
    int chunksOfGuest = chunkCount(s.vm.memory().slots());
    if (d.getChunkSha256Count() > chunksOfGuest)
      throw TargetException.invalid(
          "commit carries " + d.getChunkSha256Count() + " chunk digests; the guest has " + chunksOfGuest + " chunks");
    if (d.getTreeSha256().size() == 32 && d.getChunkSha256Count() != chunksOfGuest)
      throw TargetException.invalid(
          "a tree digest needs all " + chunksOfGuest + " chunk digests, not " + d.getChunkSha256Count());
  }

  static List<GpaRange> mismatchedRanges(List<MemorySlotSpec> slots, Digest source, Digest dest) {
    List<GpaRange> out = new java.util.ArrayList<>();
    for (int chunk : source.differingChunks(dest)) {
      ChunkRange range = MemoryDigester.rangeOfChunk(slots, dest.chunkBytes(), chunk);
      out.add(GpaRange.newBuilder().setStartGpa(range.startGpa()).setLengthBytes(range.lengthBytes()).build());
    }
    return out;
  }

  /**
   * BACKGROUND: snapshot, hand over, resume, hash the snapshot on a thread of its own; OFF: hand
   * over and resume without hashing. No verification hashing stands in the downtime: the
   * snapshot's write-protect is timed with the resume.
   */
  private CommitResponse resumeUnverified(
      ReceiveSession s, VerifyMode mode, long t0, long tComplete, long tReady) {
    BackgroundVerification bg = null;
    if (mode == VerifyMode.VERIFY_MODE_BACKGROUND) {
      WriteProtectSnapshot snap = s.vm.beginSnapshot(); // before the resume: the image as of resume
      bg = new BackgroundVerification(s.id, snap, digester);
    }
    final long tHashed = tReady; // no hashing before the resume
    host.completeReceive(
        s.vm,
        "the VM received in session " + s.id + " (" + s.vm.memory().totalPages() * GuestMemory.PAGE_SIZE
            + " bytes of guest memory, " + s.vm.vcpuCount() + " vCPUs)");
    current.compareAndSet(s, null);
    lastResumed = true;
    s.vm.resume();
    CommitResponse.Builder r =
        CommitResponse.newBuilder()
            .setMatch(false)
            .setResumed(true)
            .setReadyMillis((tReady - t0) / 1_000_000)
            .setVerifyMode(mode);
    DowntimeTimings.fill(r, s, t0, tComplete, tReady, tHashed);
    DowntimeTimings.finish(r, gc, s, t0, tHashed, nanoClock.getAsLong());
    if (bg != null) {
      BackgroundVerification old = background.getAndSet(bg);
      if (old != null) old.cancel();
      bg.start();
      log.info("session {} committed: VM resumed, verifying in the background ({} pages applied)", s.id, s.pagesApplied());
      return r.setVerificationPending(true).setDetail("resumed; verification in the background").build();
    }
    log.warn("session {} committed: VM resumed UNVERIFIED (verify mode off)", s.id);
    return r.setDetail("resumed unverified (verify mode off)").build();
  }

  /**
   * BACKGROUND verdict: waits for the snapshot's digest (within the node's verify limit, while the
   * caller is there) and compares it with the source's. A mismatch is logged loudly; the VM keeps
   * running (it was resumed before anyone knew).
   */
  public VerifyResponse verify(VerifyRequest req, BooleanSupplier callerGone) throws TargetException {
    BackgroundVerification bg = background.get();
    if (bg == null || !bg.sessionId.equals(req.getSessionId()))
      throw new TargetException(
          ReceiveError.UNKNOWN_SESSION,
          "no background verification of session " + ClientText.quote(req.getSessionId()) + " on this node");
    io.dbmmigrate.proto.v1.MemoryDigest sd = req.getSourceDigest();
    if (!req.hasSourceDigest() || sd.getTreeSha256().size() != 32)
      throw TargetException.invalid("Verify needs the source's tree digest");
    Digest dest;
    try {
      dest = bg.await(config.maxVerifyMillis(), callerGone);
    } catch (TimeoutException e) {
      if (callerGone.getAsBoolean())
        throw new TargetException(ReceiveError.CANCELLED, "Verify cancelled by the caller");
      throw new TargetException(
          ReceiveError.VERIFY_LIMIT,
          "background verification exceeded this node's limit of " + config.maxVerifyMillis() + " ms");
    } catch (CancellationException e) {
      throw new TargetException(ReceiveError.CANCELLED, "background verification was stopped: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TargetException(ReceiveError.CANCELLED, "interrupted");
    }
    background.compareAndSet(bg, null);
    Digest source = ProtoConversions.fromProto(sd);
    boolean match = dest.sameMemoryAs(source);
    VerifyResponse.Builder r =
        VerifyResponse.newBuilder()
            .setMatch(match)
            .setDestDigest(ProtoConversions.toProto(dest))
            .setVerifyMillis(dest.hashMillis())
            .setPagesPreserved(bg.pagesCopied());
    if (match) {
      log.info("session {}: background verification passed, digest {} ({} pages saved before a write)",
          bg.sessionId, dest.hex(), bg.pagesCopied());
      return r.setDetail("verified in the background").build();
    }
    List<GpaRange> ranges = mismatchedRanges(host.current().map(v -> v.memory().slots()).orElse(List.of()), source, dest);
    r.addAllMismatched(ranges);
    log.error(
        "BACKGROUND VERIFICATION FAILED for session {}: the resumed VM's memory differs from the source's"
            + " (source {}, destination {}); {} differing 2 MiB ranges, first {}",
        bg.sessionId, source.hex(), dest.hex(), ranges.size(),
        ranges.isEmpty() ? "-" : "0x" + Long.toHexString(ranges.get(0).getStartGpa()));
    return r.setDetail("digest MISMATCH: the resumed VM's memory differs from the source's").build();
  }

  /** Stops a background verification still running (node shutdown). */
  public void stopBackgroundVerification() {
    BackgroundVerification bg = background.getAndSet(null);
    if (bg != null) bg.cancel();
  }

  /** Hashes guest memory, stopping when the caller is gone or the node's verify limit passes. */
  private Digest hash(ReceiveSession s, boolean flat, BooleanSupplier callerGone) throws TargetException {
    final long deadline = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(config.maxVerifyMillis());
    try {
      return digester.digest(
          new io.dbmmigrate.digest.MemoryChunkSource(s.vm.memory()),
          flat ? s.vm.memory() : null,
          () -> callerGone.getAsBoolean() || nanoClock.getAsLong() - deadline > 0);
    } catch (CancellationException e) {
      if (callerGone.getAsBoolean())
        throw new TargetException(ReceiveError.CANCELLED, "commit cancelled by the caller; hashing stopped");
      throw new TargetException(
          ReceiveError.VERIFY_LIMIT,
          "verification exceeded this node's limit of " + config.maxVerifyMillis() + " ms (--max-verify-millis)");
    }
  }

  static int chunkCount(List<MemorySlotSpec> slots) {
    long n = 0;
    for (MemorySlotSpec s : slots)
      n += (s.sizeBytes() + MemoryDigester.DEFAULT_CHUNK_BYTES - 1) / MemoryDigester.DEFAULT_CHUNK_BYTES;
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  private static List<VcpuSnapshot> vcpuStates(ReceiveSession s, List<VcpuState> states) throws TargetException {
    int n = s.vm.vcpuCount();
    if (states.size() != n)
      throw TargetException.invalid("commit carries " + states.size() + " vCPU states; the VM has " + n);
    boolean[] seen = new boolean[n];
    for (VcpuState v : states) {
      long index = Integer.toUnsignedLong(v.getIndex()); // uint32 on the wire
      if (index >= n || seen[(int) index])
        throw TargetException.invalid("vCPU index " + index + " is out of range or repeated");
      seen[(int) index] = true;
    }
    try {
      return ProtoConversions.fromProto(states);
    } catch (IllegalArgumentException e) {
      throw TargetException.invalid("vCPU states refused: " + ClientText.quote(e.getMessage()));
    }
  }

  // ---- post-copy ----

  /**
   * Post-copy switchover: ends the pre-copy part of the session, marks the missing pages in the
   * VM's MMU, restores the vCPUs and resumes the VM at once. From here the session is never
   * discarded by this node (the VM's memory is split across both nodes).
   */
  public StartPostcopyResponse startPostcopy(StartPostcopyRequest req) throws TargetException {
    ReceiveSession s = session(req.getSessionId());
    if (s.receipt == null)
      throw new TargetException(ReceiveError.WRONG_STATE, "session " + s.id + " was not begun for post-copy");
    if (s.openStreams() > 0)
      throw new TargetException(
          ReceiveError.WRONG_STATE, s.openStreams() + " page streams are still open; finish them before StartPostcopy");
    long[] words;
    List<VcpuSnapshot> vcpus;
    try {
      words = missingWords(s, req);
      vcpus = vcpuStates(s, req.getVcpusList());
    } catch (TargetException e) {
      discard(s, e.getMessage()); // a protocol violation before the switchover ends the session
      throw e;
    }
    if (!s.beginCommit()) throw new TargetException(ReceiveError.WRONG_STATE, "commit or post-copy already started");
    if (!s.end()) throw new TargetException(ReceiveError.ENDED, "session " + s.id + " has ended");
    boolean started = false;
    try {
      try {
        s.vm.restoreVcpuStates(vcpus);
      } catch (IllegalArgumentException e) {
        throw TargetException.invalid("vCPU states refused: " + ClientText.quote(e.getMessage()));
      }
      // Pages neither received nor missing (ROM, which both nodes derive alike) as held now.
      s.receipt.recordRest(s.vm.memory(), gfn -> isSet(words, gfn));
      PostcopyState pc = new PostcopyState(s.vm.memory(), s.receipt, s.vm.vcpuCount(), words, nanoClock);
      s.vm.setMissingPageHook(pc);
      s.postcopy = pc;
      s.touch(nanoClock.getAsLong());
      s.postcopyRate =
          GuestRateRecorder.start(s.vm::storesRetired, nanoClock, io.dbmmigrate.report.TimelineSample.SAMPLE_PERIOD_MILLIS);
      s.vm.resume();
      started = true;
      log.info(
          "session {}: post-copy started, VM resumed with {} pages missing", s.id, pc.missingCount());
      return StartPostcopyResponse.newBuilder().setResumed(true).setMissingPages(pc.missingCount()).build();
    } finally {
      if (!started) {
        if (s.postcopyRate != null) s.postcopyRate.stop();
        dispose(s, "post-copy start failed");
      }
    }
  }

  private static boolean isSet(long[] words, long gfn) {
    int w = (int) (gfn >>> 6);
    return w < words.length && (words[w] & (1L << gfn)) != 0;
  }

  /** The missing ranges as a bitmap; every range page aligned, inside one slot. */
  private static long[] missingWords(ReceiveSession s, StartPostcopyRequest req) throws TargetException {
    GuestMemory mem = s.vm.memory();
    long[] words = new long[(int) ((mem.gfnLimit() + 63) >>> 6)];
    for (GpaRange r : req.getMissingList()) {
      long start = r.getStartGpa();
      long len = r.getLengthBytes();
      if (start < 0 || len <= 0 || (start & (GuestMemory.PAGE_SIZE - 1)) != 0 || (len & (GuestMemory.PAGE_SIZE - 1)) != 0)
        throw TargetException.invalid(
            "missing range 0x" + Long.toHexString(start) + "+0x" + Long.toHexString(len) + " is not page aligned");
      long first = start >>> GuestMemory.PAGE_SHIFT;
      long end = first + (len >>> GuestMemory.PAGE_SHIFT);
      MemorySlotSpec slot = mem.slotOf(first);
      if (slot == null || end > slot.endGfn() || end < first)
        throw TargetException.invalid(
            "missing range 0x" + Long.toHexString(start) + "+0x" + Long.toHexString(len)
                + " is outside the guest's memory slots");
      for (long g = first; g < end; g++) words[(int) (g >>> 6)] |= 1L << g;
    }
    return words;
  }

  private ReceiveSession postcopySession(String id) throws TargetException {
    ReceiveSession s = current.get();
    if (s == null || !s.id.equals(id) || s.postcopy == null)
      throw new TargetException(ReceiveError.UNKNOWN_SESSION, "no post-copy session " + ClientText.quote(id) + " on this node");
    return s;
  }

  /** A new Postcopy call; it binds to its session and channel with its first message. */
  public PostcopyCall openPostcopy(PostcopyCall.Downstream down) {
    return new PostcopyCall(this, down, nanoClock);
  }

  PostcopyState postcopyFor(String sessionId) throws TargetException {
    ReceiveSession s = postcopySession(sessionId);
    s.touch(nanoClock.getAsLong());
    return s.postcopy;
  }

  /** Ends post-copy: no page missing, receipt digests compared; on a match the node hosts the VM. */
  public CompletePostcopyResponse completePostcopy(CompletePostcopyRequest req) throws TargetException {
    ReceiveSession s = postcopySession(req.getSessionId());
    PostcopyState pc = s.postcopy;
    long left = pc.missingCount();
    if (left > 0)
      throw new TargetException(ReceiveError.WRONG_STATE, left + " pages are still missing; CompletePostcopy refused");
    if (!current.compareAndSet(s, null))
      throw new TargetException(ReceiveError.UNKNOWN_SESSION, "post-copy session " + s.id + " already completed");
    s.vm.setMissingPageHook(null);
    pc.close();
    GuestRateRecorder.Samples rate = s.postcopyRate.stop();
    long[] dest = s.receipt.chunkSums();
    long[] source = new long[req.getSource().getChunkSumsCount()];
    for (int i = 0; i < source.length; i++) source[i] = req.getSource().getChunkSums(i);
    List<Integer> differing = ReceiptDigest.differing(source, dest);
    PostcopyState.Stats st = pc.stats();
    CompletePostcopyResponse.Builder r =
        CompletePostcopyResponse.newBuilder()
            .setMatch(differing.isEmpty())
            .setBlocktimeMicrosTotal(st.allBlockedMicros())
            .setPagesRequested(st.requested())
            .setPagesReceived(st.received())
            .setDuplicatePages(st.duplicates())
            .setRequestLatencyP50Micros(st.p50Micros())
            .setRequestLatencyP99Micros(st.p99Micros())
            .setRequestLatencyMaxMicros(st.maxMicros())
            .setLastPageMillis(st.lastPageMillis())
            .setRecoveries(st.recoveries());
    for (long b : st.blockedMicrosPerVcpu()) r.addBlocktimeMicrosPerVcpu(b);
    for (int i = 0; i < rate.endMicros().length; i++)
      r.addGuestRate(GuestRateSample.newBuilder().setEndMicros(rate.endMicros()[i]).setStoresPerSec(rate.storesPerSec()[i]));
    r.setGuestRateReported(true).setGuestRateTruncated(rate.truncated());
    if (!differing.isEmpty()) {
      List<String> names = new java.util.ArrayList<>();
      for (int chunk : differing) {
        if (chunk >= dest.length) continue;
        ChunkRange range = ReceiptDigest.rangeOfChunk(s.vm.memory().slots(), chunk);
        r.addMismatched(GpaRange.newBuilder().setStartGpa(range.startGpa()).setLengthBytes(range.lengthBytes()));
        if (names.size() < 10) names.add("0x" + Long.toHexString(range.startGpa()) + "+0x" + Long.toHexString(range.lengthBytes()));
      }
      s.vm.close();
      host.abortReceive();
      log.error(
          "session {}: POST-COPY VERIFICATION FAILED: the pages received differ from the source's image at"
              + " switchover in {} (first ranges: {}); the VM is discarded: it is lost",
          s.id, differing.size() + " chunks", names);
      return r.setDetail("receipt digest mismatch; VM discarded (lost)").build();
    }
    host.completeReceive(
        s.vm,
        "the VM received by post-copy in session " + s.id + " (" + s.vm.memory().totalPages() * GuestMemory.PAGE_SIZE
            + " bytes of guest memory, " + s.vm.vcpuCount() + " vCPUs)");
    lastResumed = true;
    log.info(
        "session {}: post-copy complete, receipt digest matches ({} pages pushed or requested, {} requested)",
        s.id, st.received(), st.requested());
    return r.setDetail("post-copy complete").build();
  }
}
