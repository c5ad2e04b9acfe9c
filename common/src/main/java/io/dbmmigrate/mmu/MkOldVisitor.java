package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.AF;
import static io.dbmmigrate.mmu.Descriptor.VALID;

/**
 * Page aging ({@code kvm_age_gfn} → {@code stage2_mkold}): clears AF on every valid leaf. By CAS,
 * so a write bit the hardware sets meanwhile survives (the DESIGN invariant "nobody stores a
 * descriptor computed from a stale read"). No TLB invalidation: a cached translation may keep the
 * page looking young to the guest; the next walk sets AF again. That is harmless for aging, and
 * AF is not dirty state.
 *
 * <p>The broken variant {@link BrokenVariant#AF_CLEAR_PLAIN_STORE} does plain reads, a 100 µs
 * pause (widening the window deterministically) and plain stores of the stale value minus AF, which
 * erases a hardware-set write bit that lands in between.
 */
final class MkOldVisitor implements Stage2Visitor {
  private final boolean plainStore;
  long cleared;

  MkOldVisitor(boolean plainStore) {
    this.plainStore = plainStore;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    if (plainStore) {
      brokenMkOldTable(pt, base, from, to);
      return;
    }
    for (int i = from; i < to; i++) mkOld(pt, base + i);
  }

  /**
   * BROKEN on purpose: read the table's entries, pause 100 µs (widening the read→write window of
   * every entry deterministically), then store each stale value minus AF.
   */
  private void brokenMkOldTable(Stage2PageTable pt, int base, int from, int to) {
    long[] stale = new long[to - from];
    for (int i = from; i < to; i++) stale[i - from] = pt.get(base + i);
    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    for (int i = from; i < to; i++) {
      long d = stale[i - from];
      if ((d & VALID) == 0) continue;
      pt.setPlain(base + i, d & ~AF); // every valid entry, as a naive "pte &= ~AF" loop would
      if ((d & AF) != 0) cleared++;
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (Descriptor.isBlock(desc, level)) {
      if (plainStore) {
        mkOld(pt, index);
      } else {
        long old = pt.updateBlock(index, VALID | AF, AF, 0); // still a block: a split may race
        if ((old & (VALID | AF)) == (VALID | AF) && Descriptor.isBlock(old, level)) cleared++;
      }
    }
    return false;
  }

  private void mkOld(Stage2PageTable pt, int index) {
    if (plainStore) {
      long d = pt.get(index);
      if ((d & (VALID | AF)) != (VALID | AF)) return;
      Thread.yield();
      pt.setPlain(index, d & ~AF); // BROKEN on purpose: computed from a stale read
      cleared++;
      return;
    }
    long old = pt.update(index, VALID | AF, AF, 0);
    if ((old & (VALID | AF)) == (VALID | AF)) cleared++;
  }
}
