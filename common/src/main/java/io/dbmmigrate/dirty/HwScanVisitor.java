package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.HW_DIRTY_BITS;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;

import io.dbmmigrate.mmu.Stage2PageTable;
import io.dbmmigrate.mmu.Stage2Visitor;

/**
 * The hardware-dirty scan over leaf tables (one instance per scan thread per sync): a plain read
 * of every PTE filters candidates (DBM + writable); only a candidate gets a CAS that clears its
 * write bit. Candidates of up to 64 consecutive frames are gathered in a local mask and OR-ed into
 * the output bitmap with one atomic operation.
 *
 * <p>Recipe, per candidate: (1) record it in the harvest (the local mask, published to the output
 * bitmap before the sync returns); (2) clear S2AP[1] by CAS, keeping DBM (the PTE is "clean"
 * again). A racing hardware update makes the CAS fail and it is retried; a racing unmap makes the
 * PTE invalid (the unmapper saved the dirty state, a duplicate report is harmless). The caller
 * invalidates the TLB after the scan, and only then returns the harvest.
 *
 * <p>A stale plain read can only miss a PTE whose write bit was set after the scan passed it; the
 * store behind it used a translation installed after that point, so the page is dirty again in the
 * next sync (DESIGN invariant: a page stored to after the sync that collected it is dirty again in
 * the next sync).
 */
final class HwScanVisitor implements Stage2Visitor {
  private static final long CANDIDATE = HW_DIRTY_BITS | TABLE_OR_PAGE;

  private final long[] out;
  private final long outBaseGfn;
  private final boolean clearWrite;
  long visited;
  long dirty;

  HwScanVisitor(long[] out, long outBaseGfn, boolean clearWrite) {
    this.out = out;
    this.outBaseGfn = outBaseGfn;
    this.clearWrite = clearWrite;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    visited += to - from;
    int i = from;
    while (i < to) {
      final long rel = firstGfn + (i - from) - outBaseGfn;
      final int bit0 = (int) (rel & 63);
      final int run = Math.min(to - i, 64 - bit0);
      final int runBase = base + i;
      long mask = 0;
      for (int k = 0; k < run; k++) {
        final long d = pt.getPlain(runBase + k);
        if ((d & CANDIDATE) == CANDIDATE) {
          mask |= 1L << (bit0 + k);
          if (clearWrite) pt.update(runBase + k, CANDIDATE, S2AP_WRITE, 0);
        }
      }
      if (mask != 0) {
        int w = (int) (rel >>> 6);
        long old = (long) DirtyBitmap.WORDS.getAndBitwiseOr(out, w, mask);
        dirty += clearWrite ? Long.bitCount(mask) : Long.bitCount(mask & ~old);
      }
      i += run;
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    visited++; // a block (never hardware-dirty: blocks never get DBM) or an invalid entry
    return false;
  }
}
