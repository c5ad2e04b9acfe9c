package io.dbmmigrate.dest;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the batches of one page-batch call land: the VM being received ({@link #vm}: its memory,
 * the session's ledger, counters and receipt) or a warm-up's scratch memory ({@link #scratch}: a
 * sparse memory of the guest's layout with a ledger and counters of its own, released when the
 * call ends).
 *
 * <p>One final class for both, and {@link ReceiveSession#apply} runs the same statements for both,
 * so that the code the JIT compiles during the page-path warm-up is the code of the rounds, with
 * the same type and branch profiles. With a sibling class for the warm-up, round 0's first batch
 * met a receiver type the compiled code had never seen: the service's batch callback and gRPC's
 * delivery task were thrown away and compiled again inside round 0 (about 1 s of C2 time on a
 * 2-core machine, measured with JFR).
 *
 * <p>Threading: the VM's target is shared by the session's page streams (its counters are atomic,
 * its ledger synchronized); a scratch target belongs to one call.
 */
final class BatchTarget {
  final GuestMemory memory;
  final StreamLedger ledger;
  /** Receipt hashes of every page applied (post-copy sessions' VM target only, else null). */
  final ReceiptDigest receipt;
  /**
   * Pages and payload bytes applied here. The VM's are added to by all of the session's page
   * streams at once; a session's scratch targets share one pair in the same way (see {@link
   * #scratch}).
   */
  final LongAdder pages;

  final LongAdder bytes;
  /**
   * This JVM's JIT compile time ({@link JitClock}, ms, all compiler threads) when the first batch
   * was applied here (the first stream to get there sets it); -1 before, or when the JVM does not
   * report it.
   */
  final AtomicLong jitAtFirstBatch = new AtomicLong(-1);

  /** Payload bytes this target may still take (shared by a session's warm-up calls). */
  private final AtomicLong allowance;

  private final long allowed;
  private final boolean ownsMemory;
  /** When the latest batch finished applying (racing streams: either reading is fine). */
  private volatile long lastAppliedNanos;

  private BatchTarget(
      GuestMemory memory, StreamLedger ledger, ReceiptDigest receipt, LongAdder pages, LongAdder bytes,
      AtomicLong allowance, long allowed, boolean ownsMemory) {
    this.memory = memory;
    this.pages = pages;
    this.bytes = bytes;
    this.ledger = ledger;
    this.receipt = receipt;
    this.allowance = allowance;
    this.allowed = allowed;
    this.ownsMemory = ownsMemory;
  }

  /** The VM's memory; no payload limit beyond the batches' own checks. */
  static BatchTarget vm(GuestMemory memory, int streams, ReceiptDigest receipt) {
    return new BatchTarget(
        memory, new StreamLedger(streams), receipt, new LongAdder(), new LongAdder(),
        new AtomicLong(Long.MAX_VALUE), Long.MAX_VALUE, false);
  }

  /**
   * A fresh scratch memory of {@code template}'s layout for one warm-up call, charged against the
   * session's warm-up {@code allowance} (remaining bytes of {@code allowed}), counted in the
   * session's warm-up {@code pages} and {@code bytes}. The counters are shared by the session's
   * warm-up calls, as the VM's are by its page streams: with counters of its own, each call's adds
   * never met another stream's, and round 0's first contended add on the VM's counters took a branch
   * of {@link LongAdder#add} the compiled apply had never seen (an {@code unstable_if}
   * deoptimization at round 0's start on the destination, in JFR over a two-stream transfer).
   */
  static BatchTarget scratch(
      GuestMemory template, int streams, LongAdder pages, LongAdder bytes, AtomicLong allowance, long allowed) {
    return new BatchTarget(
        new ChunkedGuestMemory(template.slots()), new StreamLedger(streams), null, pages, bytes, allowance,
        allowed, true);
  }

  /**
   * Takes {@code payloadBytes} from the allowance (before the batch's pages are written).
   *
   * @throws TargetException NO_CAPACITY when a warm-up goes beyond the session's allowance
   */
  void charge(long payloadBytes) throws TargetException {
    if (allowance.addAndGet(-payloadBytes) < 0)
      throw new TargetException(
          ReceiveError.NO_CAPACITY,
          "page-path warm-up beyond " + allowed + " bytes in this session (twice what a source may"
              + " ask for, plus 1 MiB)");
  }

  /** Counts an applied batch and stamps its time (and the JIT clock at the first batch). */
  void applied(int pageCount, long payloadBytes, long nowNanos) {
    pages.add(pageCount);
    bytes.add(payloadBytes);
    lastAppliedNanos = nowNanos;
    if (jitAtFirstBatch.get() < 0) jitAtFirstBatch.compareAndSet(-1, JitClock.compileMillis());
  }

  long lastAppliedNanos() {
    return lastAppliedNanos;
  }

  /** The call ended: a scratch memory is closed (nobody else ever saw it); the VM's stays. */
  void release() {
    if (ownsMemory) memory.close();
  }
}
