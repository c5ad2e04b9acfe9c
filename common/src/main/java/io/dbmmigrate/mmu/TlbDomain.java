package io.dbmmigrate.mmu;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The TLBs of all vCPUs of one VM (one VMID) and the rule that makes "write-protect, invalidate,
 * then copy" safe: <b>an invalidation completes only when every store that used an old
 * translation is visible.</b>
 *
 * <h2>Concurrency contract</h2>
 *
 * <ul>
 *   <li>Each vCPU brackets every store in a window: {@link #enter} increments its sequence number
 *       to odd with a full fence (getAndAdd), {@link #exit} increments it to even with release.
 *       Translation (TLB lookup or walk) and the data store happen inside the window; faults are
 *       handled outside it, so an invalidator never waits for a fault handler.
 *   <li>After {@link #enter} the vCPU reads {@link #generation()} (volatile). If it changed since
 *       its last look, it drops its whole TLB (and reloads VTCR) before translating.
 *   <li>{@link #invalidateAll()} increments the generation (full fence), then, for every vCPU whose
 *       sequence number is odd, waits until it changes. Dekker: either the vCPU's read of the
 *       generation sees the increment (it re-walks the updated table), or the invalidator sees the
 *       odd sequence (it waits for that store, whose release then happens-before the return).
 * </ul>
 *
 * <p>Sequence numbers are padded to one per 128 bytes against false sharing.
 */
public final class TlbDomain {
  private static final int STRIDE = 16; // longs: 128 bytes

  private final int vcpus;
  private final AtomicLongArray seq;
  private final AtomicLong generation = new AtomicLong();
  private final AtomicLong invalidations = new AtomicLong();
  private final boolean waitForInflight;

  public TlbDomain(int vcpus) {
    this(vcpus, true);
  }

  /** {@code waitForInflight=false} is {@link BrokenVariant#INVALIDATION_DOES_NOT_WAIT}. */
  TlbDomain(int vcpus, boolean waitForInflight) {
    this.vcpus = vcpus;
    this.seq = new AtomicLongArray((vcpus + 1) * STRIDE);
    this.waitForInflight = waitForInflight;
  }

  public int vcpus() {
    return vcpus;
  }

  /** Opens vCPU {@code v}'s store window (full fence). */
  public void enter(int v) {
    seq.getAndAdd((v + 1) * STRIDE, 1);
  }

  /** Closes vCPU {@code v}'s store window (release: its store is visible to a waiting invalidator). */
  public void exit(int v) {
    int i = (v + 1) * STRIDE;
    seq.lazySet(i, seq.get(i) + 1); // single writer: this vCPU
  }

  /** The TLB/VTCR generation; read by a vCPU right after {@link #enter}. */
  public long generation() {
    return generation.get();
  }

  /** Invalidations issued (for counters). */
  public long invalidations() {
    return invalidations.get();
  }

  /**
   * Broadcast TLB invalidation (TLBI VMALLS12E1IS; DSB): returns when no vCPU can use a translation
   * older than this call and every store that used one is visible. Also the kick: a vCPU reloads
   * VTCR when it sees a new generation. Never call with a vCPU window open on this thread.
   */
  public void invalidateAll() {
    invalidations.incrementAndGet();
    newGeneration();
  }

  /**
   * A kick: every vCPU reloads its state (VTCR) before its next store; returns when no store that
   * began with the old state is still in flight. Not counted as an invalidation.
   */
  public void kickAll() {
    newGeneration();
  }

  private void newGeneration() {
    generation.incrementAndGet();
    if (!waitForInflight) return; // broken variant: returns while stores may still be in flight
    for (int v = 0; v < vcpus; v++) {
      int i = (v + 1) * STRIDE;
      long s = seq.get(i);
      if ((s & 1) == 0) continue;
      int spins = 0;
      while (seq.get(i) == s) {
        if (++spins < 128) Thread.onSpinWait();
        else Thread.yield();
      }
    }
  }
}
