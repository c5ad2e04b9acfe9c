package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.HW_DIRTY_BITS;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;

import io.dbmmigrate.mmu.Descriptor;
import io.dbmmigrate.mmu.Stage2PageTable;
import io.dbmmigrate.mmu.Stage2Visitor;
import java.util.concurrent.locks.LockSupport;

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
 * <p>A hardware-dirty 2 MiB block (DBM is armed on blocks when blocks are not split eagerly) is
 * harvested the same way: its 512 pages are recorded, then its write bit is cleared by CAS. The
 * scanner's chunks hold whole blocks, so one thread owns the block and its 8 output words.
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
  private final boolean plainClear;
  long visited;
  long dirty;

  /**
   * @param ownsOutWords true when no other thread touches {@code out} during the scan except other
   *     scan threads on other chunks; chunks cover whole 64-page words, so each word then has one
   *     writer and is updated with a plain read-modify-write (published to the caller by the
   *     scanner's join). False for a bitmap that fault handlers update concurrently: atomic OR.
   */
  HwScanVisitor(
      long[] out, long outBaseGfn, boolean clearWrite, boolean ownsOutWords,
      ScanVariant.Broken broken) {
    this.out = out;
    this.outBaseGfn = outBaseGfn;
    this.clearWrite = clearWrite;
    this.ownsOutWords = ownsOutWords;
    this.plainClear = broken == ScanVariant.Broken.CLEAR_BY_PLAIN_STORE;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    visited += to - from;
    final long relOfBase = firstGfn - from - outBaseGfn; // rel gfn of arena index base + 0
    final int end = base + to;
    int i = base + from;
    long found = 0; // counted in a local: the field is written once per table, not per page
    while ((i = pt.findFirstWithBits(i, end, CANDIDATE)) < end) {
      found += record(relOfBase + (i - base));
      clear(pt, i, CANDIDATE);
      i++;
    }
    dirty += found;
  }

  /** (1) Record the page at {@code rel} in the harvest. */
  private int record(long rel) {
    final int w = (int) (rel >>> 6);
    final long bit = 1L << (rel & 63);
    final long old;
    if (ownsOutWords) {
      old = (long) DirtyBitmap.WORDS.get(out, w); // plain: this thread is the word's only writer
      DirtyBitmap.WORDS.set(out, w, old | bit);
    } else {
      old = (long) DirtyBitmap.WORDS.getAndBitwiseOr(out, w, bit);
    }
    return clearWrite || (old & bit) == 0 ? 1 : 0;
  }

  /** (2) Clear the write bit of a recorded leaf, by CAS, if it still has {@code require}. */
  private void clear(Stage2PageTable pt, int index, long require) {
    if (!clearWrite) return;
    if (plainClear) {
      // BROKEN on purpose: a plain read, a pause (widening the window), a plain store of the
      // stale value minus the write bit, undoing whatever changed the entry in between.
      long d = pt.get(index);
      LockSupport.parkNanos(20_000);
      if ((d & require) == require) pt.setPlainForBrokenVariant(index, d & ~S2AP_WRITE);
      return;
    }
    pt.update(index, require, S2AP_WRITE, 0);
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    visited++; // a block or an invalid entry
    if (Descriptor.isBlock(desc, level) && Descriptor.isHwDirty(desc)) {
      long n = 1L << Stage2PageTable.shiftOf(level);
      long rel = gfn - outBaseGfn;
      for (long k = 0; k < n; k++) dirty += record(rel + k); // record the whole block first ...
      clear(pt, index, HW_DIRTY_BITS); // ... then clear its write bit (a block has no TABLE bit)
    }
    return false;
  }
}
