package io.dbmmigrate.mmu;

/**
 * The MMU state private to one vCPU: its TLB, its loaded copy of VTCR, and the guest time it owes
 * to the cost model. Thread-confined to the vCPU's thread (no other thread reads or writes it),
 * except {@link #index}, which is final.
 *
 * <p>The TLB is direct-mapped, {@value #TLB_ENTRIES} entries, and caches only writable
 * translations (the simulated guest only stores): a hit lets a store skip the table walk, which
 * is exactly what makes the invalidation rule of {@link TlbDomain} necessary.
 */
public final class VcpuContext {
  static final int TLB_ENTRIES = 64;

  final int index;
  private final long[] tlbTags = new long[TLB_ENTRIES]; // gfn + 1; 0 = empty
  long seenGeneration = -1;
  long seenKickGeneration;
  boolean ha;
  boolean hd;
  /** Guest time owed (ns), paid by the vCPU loop outside any store window. */
  long debtNanos;

  VcpuContext(int index, Vtcr vtcr) {
    this.index = index;
    this.seenKickGeneration = vtcr.kickGeneration();
    this.ha = vtcr.ha();
    this.hd = vtcr.hd();
  }

  public int index() {
    return index;
  }

  boolean tlbHit(long gfn) {
    return tlbTags[(int) gfn & (TLB_ENTRIES - 1)] == gfn + 1;
  }

  void tlbFill(long gfn) {
    tlbTags[(int) gfn & (TLB_ENTRIES - 1)] = gfn + 1;
  }

  void tlbFlush() {
    java.util.Arrays.fill(tlbTags, 0L);
  }

  /** Takes (and clears) the guest time owed to the cost model. */
  public long takeDebtNanos() {
    long d = debtNanos;
    debtNanos = 0;
    return d;
  }

  /** Gives back time that was over-paid (a sleep that overshot), as credit, bounded. */
  public void creditNanos(long nanos) {
    debtNanos = Math.max(debtNanos - nanos, -1_000_000L);
  }

  public long debtNanos() {
    return debtNanos;
  }
}
