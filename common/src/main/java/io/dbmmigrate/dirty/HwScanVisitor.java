package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.HW_DIRTY_BITS;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;

import io.dbmmigrate.mmu.Stage2PageTable;
import io.dbmmigrate.mmu.Stage2Visitor;

/**
 * The hardware-dirty scan over leaf tables (one instance per scan thread per sync): an opaque read
 * of every PTE filters candidates (DBM + writable); only a candidate gets a CAS that clears its
 * write bit.
 *
 * <p>Recipe, per candidate: (1) record it in the harvest (the output bitmap, which the
 * caller sees when the sync returns); (2) clear S2AP[1] by CAS, keeping DBM (the PTE is "clean"
 * again). A racing hardware update makes the CAS fail and it is retried; a racing unmap makes the
 * PTE invalid (the unmapper saved the dirty state, a duplicate report is harmless). The caller
 * invalidates the TLB after the scan, and only then returns the harvest.
 *
 * <p>The filter's opaque read may miss a write bit that the hardware sets while the scan runs (see
 * {@link Stage2PageTable#findFirstWithBits}); that PTE stays hardware-dirty, so the next sync
 * collects it (DESIGN invariant: a page stored to after the sync that collected it is dirty again
 * in the next sync).
 */
final class HwScanVisitor implements Stage2Visitor {
  private static final long CANDIDATE = HW_DIRTY_BITS | TABLE_OR_PAGE;

  private final long[] out;
  private final long outBaseGfn;
  private final boolean clearWrite;
  private final boolean ownsOutWords;
  long visited;
  long dirty;

  /**
   * @param ownsOutWords true when no other thread touches {@code out} during the scan except other
   *     scan threads on other chunks; chunks cover whole 64-page words, so each word then has one
   *     writer and is updated with a plain read-modify-write (published to the caller by the
   *     scanner's join). False for a bitmap that fault handlers update concurrently: atomic OR.
   */
  HwScanVisitor(long[] out, long outBaseGfn, boolean clearWrite, boolean ownsOutWords) {
    this.out = out;
    this.outBaseGfn = outBaseGfn;
    this.clearWrite = clearWrite;
    this.ownsOutWords = ownsOutWords;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    visited += to - from;
    final long relOfBase = firstGfn - from - outBaseGfn; // rel gfn of arena index base + 0
    final int end = base + to;
    int i = base + from;
    while ((i = pt.findFirstWithBits(i, end, CANDIDATE)) < end) {
      harvest(pt, i, relOfBase + (i - base));
      i++;
    }
  }

  /** One candidate: (1) record it in the harvest, (2) clear its write bit by CAS. */
  private void harvest(Stage2PageTable pt, int index, long rel) {
    final int w = (int) (rel >>> 6);
    final long bit = 1L << (rel & 63);
    final long old;
    if (ownsOutWords) {
      old = (long) DirtyBitmap.WORDS.get(out, w); // plain: this thread is the word's only writer
      DirtyBitmap.WORDS.set(out, w, old | bit);
    } else {
      old = (long) DirtyBitmap.WORDS.getAndBitwiseOr(out, w, bit);
    }
    if (clearWrite) {
      pt.update(index, CANDIDATE, S2AP_WRITE, 0);
      dirty++;
    } else if ((old & bit) == 0) {
      dirty++;
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    visited++; // a block (never hardware-dirty: blocks never get DBM) or an invalid entry
    return false;
  }
}
