package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.VerifyMode;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.VcpuSnapshot;
import java.util.List;
import java.util.OptionalLong;

/**
 * One open migration session on a destination: the seam between the pre-copy controller and the
 * transport (gRPC in production, in-memory in unit tests).
 *
 * <p>Threading: the controller calls every method from its own thread, except {@link
 * #cancelInFlight} and {@link #abort}, which a cancel may call from any thread.
 */
public interface TargetSession extends AutoCloseable {
  /**
   * Sends every page whose bit is set in {@code harvest} as round {@code round}, over all streams,
   * and returns when the destination acknowledged every stream. The harvest is read-only while
   * published (see {@link HarvestBitmap}). A page is sent at most once per round; rounds are sent in
   * order.
   */
  RoundTransfer sendRound(
      int round, HarvestBitmap.Round harvest, GuestMemory memory, ProgressSink progress)
      throws TransferException, InterruptedException;

  /** What a page-path warm-up sent (payload bytes as sent) and how long it took. */
  record WarmUp(long bytes, long nanos) {}

  /**
   * Page-path warm-up before round 0: streams the guest pages of the first {@code bytes} of RAM
   * ({@code ramBaseGfn} on) over all streams into the destination's scratch memory (never into the
   * VM; WarmUpPages in target.proto), pass after pass, until {@code bytes} of payload went out or
   * {@code maxMillis} passed, so that both nodes' JIT compile the page path before the measured
   * rounds. Transports without one send nothing.
   */
  default WarmUp warmUp(GuestMemory memory, long ramBaseGfn, long bytes, long maxMillis)
      throws TransferException, InterruptedException {
    return new WarmUp(0, 0);
  }

  /**
   * The destination JVM's JIT compile time so far, in milliseconds (Heartbeat), or -1 when it does
   * not say or cannot be asked (never throws). For the end of the warm-up ({@link CompilerQuiet}).
   */
  default long peerJitCompileMillis() {
    return -1;
  }

  /**
   * Commits: the destination checks that every batch arrived, compares digests and, on a match
   * and {@code resume}, resumes the VM. After it returns, the session is over.
   *
   * @throws TransferException when the answer did not arrive (the outcome is then unknown)
   */
  CommitOutcome commit(List<VcpuSnapshot> vcpus, Digest sourceDigest, boolean resume)
      throws TransferException;

  /**
   * Commits with a verification mode: STRICT as {@link #commit(List, Digest, boolean)}; BACKGROUND
   * and OFF send no digest (sourceDigest may be null) and the destination resumes at once
   * (BACKGROUND: call {@link #verify} for the verdict).
   */
  default CommitOutcome commit(
      List<VcpuSnapshot> vcpus, Digest sourceDigest, boolean resume, VerifyMode mode)
      throws TransferException {
    if (mode != VerifyMode.STRICT) throw new UnsupportedOperationException("verify mode " + mode);
    return commit(vcpus, sourceDigest, resume);
  }

  /** BACKGROUND: sends the source's digest and waits for the destination's verdict. */
  default VerifyOutcome verify(Digest sourceDigest) throws TransferException {
    throw new UnsupportedOperationException("background verification");
  }

  /**
   * Post-copy switchover: the destination marks {@code missingRuns} ([startGfn, endGfn) runs)
   * missing, restores the vCPUs and resumes the VM at once. After it returns the VM runs there.
   * The transfer gives up reconnecting a cut link after {@code recoverMillis}.
   *
   * @throws TransferException when the answer did not arrive or the destination refused
   */
  default PostcopyTransfer startPostcopy(List<VcpuSnapshot> vcpus, List<long[]> missingRuns, long recoverMillis)
      throws TransferException {
    throw new TransferException("this transport has no post-copy", null);
  }

  /**
   * The per-batch send latency of this session's streams, or null when the transport does not
   * time its batches. The controller calls {@link BatchSendLatency#endRound} after each {@link
   * #sendRound}.
   */
  default BatchSendLatency batchSendLatency() {
    return null;
  }

  /** Discards the session on the destination; best effort, never throws. */
  void abort(String reason);

  /** Cancels running page streams so that a blocked {@link #sendRound} fails promptly. */
  void cancelInFlight(String reason);

  /** Guest stores retired by the VM on the destination (empty when it cannot tell). */
  OptionalLong destinationStoresRetired();

  /**
   * Round-trip time of the latest small control call to the destination (heartbeat), in ms; NaN
   * when none was measured. The downtime prediction uses it for the commit exchange.
   */
  default double lastRoundTripMillis() {
    return Double.NaN;
  }

  /** Whether the destination runs the VM (after a lost commit answer). */
  DestinationProbe probe();

  /** Releases channels and threads. */
  @Override
  void close();
}
