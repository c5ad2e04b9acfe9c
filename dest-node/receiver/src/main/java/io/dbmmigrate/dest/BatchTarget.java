package io.dbmmigrate.dest;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the batches of one page-batch call land: the VM being received ({@link #vm}: its memory,
 * the session's ledger, counters and receipt) or a warm-up's scratch memory ({@link #scratch}: a
 * memory of the guest's layout with a ledger of its own, released when the call ends).
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
   * Pages and payload bytes applied here, added to once per batch by every stream of the session
   * (the VM's), or by every warm-up call of the session (a session's scratch targets share one
   * pair). Atomic adds, not {@code LongAdder}s: a {@code LongAdder} takes another branch once two
   * adds collide, which the warm-up's adds may never have met; when round 0's two streams first
   * collided, the destination's compiled apply was thrown away ({@code unstable_if} in {@code
   * LongAdder.add}, seen with JFR 1.6 s into a two-stream round 0) and compiled again inside the
   * round. One atomic add per batch (about a thousand a second) costs nothing measurable.
   */
  final AtomicLong pages;

  final AtomicLong bytes;
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
      GuestMemory memory, StreamLedger ledger, ReceiptDigest receipt, AtomicLong pages, AtomicLong bytes,
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
        memory, new StreamLedger(streams), receipt, new AtomicLong(), new AtomicLong(),
        new AtomicLong(Long.MAX_VALUE), Long.MAX_VALUE, false);
  }

  /**
   * Every how many 2 MiB blocks a warm-up's scratch memory is populated when the VM's memory is
   * ({@link #scratch}), and how many per slot: with the source's warm-up range (the ROM and up to
   * 256 MiB of RAM, {@code JitWarmUp}) one block in 16 of what the warm-up writes, 18 MiB per call
   * backed up front.
   */
  static final int WARM_UP_POPULATED_EVERY_BLOCKS = 16;

  static final int WARM_UP_POPULATED_BLOCKS_PER_SLOT = 8;

  /**
   * A fresh scratch memory of {@code template}'s layout for one warm-up call, charged against the
   * session's warm-up {@code allowance} (remaining bytes of {@code allowed}), counted in the
   * session's warm-up {@code pages} and {@code bytes} (shared by its warm-up calls).
   *
   * <p>Sparse, so that it costs no memory beyond what the warm-up writes; but when the VM's memory
   * is populated ({@code --prealloc-ram}, {@link ChunkedGuestMemory#preallocated}), a sample of its
   * blocks is populated too ({@link ChunkedGuestMemory#sampled}), so that the warm-up writes pages
   * both ways the memory writes them. With a sparse scratch only, round 0's first batch took a
   * branch of {@code writePages} the compiled code had never taken ({@code unstable_if}, JFR), and
   * the destination compiled its page placement again inside the round (1.0 to 1.9 s of C2 time in
   * two-stream rounds).
   */
  static BatchTarget scratch(
      GuestMemory template, int streams, AtomicLong pages, AtomicLong bytes, AtomicLong allowance, long allowed) {
    ChunkedGuestMemory memory =
        template instanceof ChunkedGuestMemory c && c.populated()
            ? ChunkedGuestMemory.sampled(
                template.slots(), ChunkedGuestMemory.defaultBackingDir(), WARM_UP_POPULATED_EVERY_BLOCKS,
                WARM_UP_POPULATED_BLOCKS_PER_SLOT)
            : new ChunkedGuestMemory(template.slots());
    return new BatchTarget(memory, new StreamLedger(streams), null, pages, bytes, allowance, allowed, true);
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
    pages.addAndGet(pageCount);
    bytes.addAndGet(payloadBytes);
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
