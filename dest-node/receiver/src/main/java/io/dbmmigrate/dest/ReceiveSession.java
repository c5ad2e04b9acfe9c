package io.dbmmigrate.dest;

import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.GuestMemoryExhaustedException;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.SessionOptions;
import io.dbmmigrate.wire.BatchFormatException;
import io.dbmmigrate.wire.InboundBatch;
import io.dbmmigrate.wire.PageBatchDecoder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One incoming migration: the (paused) VM being filled, the ledger of batches, and the end of the
 * session.
 *
 * <p>Concurrency contract:
 *
 * <ul>
 *   <li>Page streams apply batches concurrently, each under the <b>read</b> lock; different streams
 *       carry different pages (the source partitions pages over streams), and GuestMemory allows
 *       concurrent host writes to different pages.
 *   <li>Ending the session (commit, abort, failure) takes the <b>write</b> lock and sets {@code
 *       ended}: once {@link #end()} returns true, no batch is being applied and none will be, so
 *       the commit can check completeness and hash a memory that no longer changes, and an abort
 *       can close the VM without racing a writer.
 *   <li>{@code ended} is written only under the write lock and read under the read lock.
 *   <li>Stream claims ({@link #claimStream}): at most one open SendPages call per declared stream,
 *       so that the heap a session can hold is bounded by its declared streams (see {@link
 *       ReceiveFootprint}); claimed and released under this object's monitor.
 * </ul>
 */
final class ReceiveSession {
  final String id;
  private final long maxWarmUpBytes;
  final String migrationId;
  final String sourceId;
  final VirtualMachine vm;
  final SessionOptions options;
  /**
   * Where the page streams' batches go: the VM's memory, this session's ledger (what Commit checks
   * against the manifest), its counters and the JIT clock at its first batch.
   */
  final BatchTarget vmTarget;
  final long createdNanos;
  /** Largest uncompressed batch the source declared (at most the node's limit). */
  final int maxBatchBytes;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean ended;
  private final AtomicBoolean committing = new AtomicBoolean();
  private final AtomicInteger openStreams = new AtomicInteger();
  private final boolean[] streamClaimed;
  private volatile long lastActivityNanos;
  /** Receipt hashes of every page applied (post-copy sessions only, else null). */
  final io.dbmmigrate.digest.ReceiptDigest receipt;
  /** Set once by StartPostcopy (under the write lock, after end()); null before. */
  volatile PostcopyState postcopy;
  /** The guest's write rate since the post-copy resume (set with {@link #postcopy}); null before. */
  volatile GuestRateRecorder postcopyRate;

  ReceiveSession(
      String id, String migrationId, String sourceId, VirtualMachine vm, SessionOptions options, long nowNanos,
      long maxWarmUpBytes) {
    this.id = id;
    this.maxWarmUpBytes = maxWarmUpBytes;
    this.migrationId = migrationId;
    this.sourceId = sourceId;
    this.vm = vm;
    this.options = options;
    this.receipt = options.getPostcopy() ? new io.dbmmigrate.digest.ReceiptDigest(vm.memory().slots()) : null;
    this.vmTarget = BatchTarget.vm(vm.memory(), options.getStreams(), receipt);
    this.warmUpAllowance = new AtomicLong(warmUpAllowedBytes());
    this.maxBatchBytes = options.getMaxBatchBytes();
    this.streamClaimed = new boolean[options.getStreams()];
    this.createdNanos = nowNanos;
    this.lastActivityNanos = nowNanos;
  }

  /**
   * This JVM's JIT compile time ({@link JitClock}, ms, all compiler threads) when Commit arrived
   * (set by the committing thread before the session's end is published to anyone else); the time
   * at the first batch is {@code vmTarget.jitAtFirstBatch}.
   */
  volatile long jitAtCommit = -1;

  /** Warm-up payload bytes the session's WarmUpPages calls may still send (any thread; atomic). */
  private final AtomicLong warmUpAllowance;

  /** Pages and payload bytes applied by the session's WarmUpPages calls (shared: see {@link BatchTarget#scratch}). */
  private final AtomicLong warmUpPages = new AtomicLong();

  private final AtomicLong warmUpBytes = new AtomicLong();

  /**
   * Checks and applies one batch: decode (CRC, format), every gfn inside a slot and writable in
   * this round, in sequence; only then are pages written, so a refused batch changes nothing.
   */
  void apply(PageBatchDecoder decoder, InboundBatch inbound, BatchTarget target, long nowNanos)
      throws TargetException {
    lastActivityNanos = nowNanos;
    lock.readLock().lock();
    try {
      final PageBatch batch = decodeChecked(decoder, inbound);
      final int n = decoder.count();
      target.charge(inbound.payloadBytes());
      target.ledger.accept(batch.getStream(), batch.getRound(), batch.getSequence());
      try {
        decoder.applyTo(target.memory); // one copy per page, from the batch's buffers into memory
      } catch (GuestMemoryExhaustedException e) {
        throw new TargetException(
            ReceiveError.NO_CAPACITY, "this node has no room left for the guest's pages: " + e.getMessage());
      }
      if (target.receipt != null) { // post-copy proof: the page as received (one scratch page per batch)
        final byte[] page = new byte[GuestMemory.PAGE_SIZE];
        for (int i = 0; i < n; i++) {
          if (decoder.isZero(i)) target.receipt.set(decoder.gfn(i), null, 0);
          else {
            decoder.copyPage(i, page, 0);
            target.receipt.set(decoder.gfn(i), page, 0);
          }
        }
      }
      // Counted under the read lock: once end() returns, every applied batch is in the counters.
      target.applied(n, inbound.payloadBytes(), nowNanos);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Decodes a batch in place (header, CRC, record index) and checks every page against the
   * guest's slots; the session must not have ended. Caller holds the read lock.
   */
  private PageBatch decodeChecked(PageBatchDecoder decoder, InboundBatch inbound) throws TargetException {
    if (ended) throw new TargetException(ReceiveError.ENDED, "session " + id + " has ended");
    final PageBatch batch;
    try {
      batch = inbound.decode();
      decoder.decode(inbound); // CRC and record index over the received buffers, in place
    } catch (BatchFormatException e) {
      throw TargetException.invalid("stream " + inboundStream(inbound) + ": " + e.getMessage());
    }
    final GuestMemory mem = vm.memory();
    final int round = batch.getRound();
    for (int i = 0, n = decoder.count(); i < n; i++) {
      final long gfn = decoder.gfn(i);
      final MemorySlotSpec slot = mem.slotOf(gfn);
      if (slot == null)
        throw TargetException.invalid(
            "page gfn 0x" + Long.toHexString(gfn) + " is outside every memory slot of the guest");
      if (slot.readOnly() && round != 0)
        throw TargetException.invalid(
            "page gfn 0x" + Long.toHexString(gfn) + " is in read-only slot '" + slot.name()
                + "', which is sent in round 0 only (got round " + round + ")");
    }
    return batch;
  }

  /**
   * The warm-up payload a source may ask for (BeginSessionResponse.max_warm_up_bytes, {@link
   * TargetConfig#warmUpBytesFor}).
   */
  long maxWarmUpBytes() {
    return maxWarmUpBytes;
  }

  /**
   * A scratch target for one WarmUpPages call (see {@link BatchTarget}): the guest's layout, sparse,
   * charged against this session's warm-up allowance: twice what a source may ask for ({@link
   * #maxWarmUpBytes}) plus 1 MiB of payload (each of its streams may overshoot its share by one
   * batch; the rest is headroom).
   */
  BatchTarget newWarmUpTarget() {
    return BatchTarget.scratch(
        vm.memory(), declaredStreams(), warmUpPages, warmUpBytes, warmUpAllowance, warmUpAllowedBytes());
  }

  /** Payload bytes the session's warm-up calls placed into scratch memory so far. */
  long warmUpBytes() {
    return warmUpBytes.get();
  }

  private long warmUpAllowedBytes() {
    return 2 * maxWarmUpBytes + (1 << 20);
  }

  /** The memory layout of the guest being received (a warm-up's scratch memory copies it). */
  java.util.List<MemorySlotSpec> slots() {
    return vm.memory().slots();
  }

  /** Start of the apply of the latest batch (0 before any); the commit reports its distance. */
  long lastAppliedNanos() {
    return vmTarget.lastAppliedNanos();
  }

  /** "s round r sequence q" of a batch whose header decoded, else "?" (for error messages). */
  private static String inboundStream(InboundBatch inbound) {
    try {
      PageBatch b = inbound.decode();
      return b.getStream() + " round " + b.getRound() + " sequence " + b.getSequence();
    } catch (BatchFormatException e) {
      return "?";
    }
  }

  /** Ends the session; true for the one caller that ended it. Waits for batches being applied. */
  boolean end() {
    lock.writeLock().lock();
    try {
      if (ended) return false;
      ended = true;
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  boolean isEnded() {
    lock.readLock().lock();
    try {
      return ended;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Marks the start of the one commit; false when one already started. */
  boolean beginCommit() {
    return committing.compareAndSet(false, true);
  }

  boolean isCommitting() {
    return committing.get();
  }

  /**
   * Claims a declared stream for one SendPages call; false when the stream is out of range or
   * another call holds it. Counts the call as open until {@link #releaseStream}.
   */
  synchronized boolean claimStream(int stream) {
    if (stream < 0 || stream >= streamClaimed.length || streamClaimed[stream]) return false;
    streamClaimed[stream] = true;
    openStreams.incrementAndGet();
    return true;
  }

  synchronized void releaseStream(int stream) {
    if (stream >= 0 && stream < streamClaimed.length && streamClaimed[stream]) {
      streamClaimed[stream] = false;
      openStreams.decrementAndGet();
    }
  }

  int declaredStreams() {
    return streamClaimed.length;
  }

  int openStreams() {
    return openStreams.get();
  }

  void touch(long nowNanos) {
    lastActivityNanos = nowNanos;
  }

  long idleNanos(long nowNanos) {
    return nowNanos - lastActivityNanos;
  }

  long pagesApplied() {
    return vmTarget.pages.get();
  }

  long bytesReceived() {
    return vmTarget.bytes.get();
  }
}
