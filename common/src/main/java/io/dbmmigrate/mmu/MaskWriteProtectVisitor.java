package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;
import static io.dbmmigrate.mmu.Descriptor.VALID;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Write-protect by bitmap mask (SW sync, manual clear, harvest of the log bitmap): for every gfn
 * whose bit is set in {@code mask} (bit {@code (gfn - maskBaseGfn) & 63} of word {@code (gfn -
 * maskBaseGfn) >>> 6}), clears S2AP[1] of its page; with {@code dbm}, a writable page without DBM
 * gets DBM (manual clear after "initially all set" arms hardware logging page by page). A block
 * holding a masked page is split first: its pages inherit its attributes, a hardware-set write bit
 * included (so the unmasked pages of a hardware-dirty block stay hardware-dirty for the next scan;
 * the split drops no dirty state), and get DBM with {@code dbm}. Caller invalidates.
 *
 * <p>The caller has recorded (or is about to report) every masked page before calling this: this
 * visitor may clear a hardware-set write bit only because the page is already in the harvest.
 */
final class MaskWriteProtectVisitor implements Stage2Visitor {
  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] mask;
  private final long maskBaseGfn;
  private final boolean dbm;
  long visited;
  long splits;

  MaskWriteProtectVisitor(long[] mask, long maskBaseGfn, boolean dbm) {
    this.mask = mask;
    this.maskBaseGfn = maskBaseGfn;
    this.dbm = dbm;
  }

  private boolean masked(long gfn) {
    long rel = gfn - maskBaseGfn;
    return (((long) WORDS.getOpaque(mask, (int) (rel >>> 6)) >>> (rel & 63)) & 1) != 0;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    for (int i = from; i < to; i++) {
      long gfn = firstGfn + (i - from);
      if (!masked(gfn)) continue;
      int index = base + i;
      visited++;
      long d = pt.get(index);
      if ((d & (VALID | TABLE_OR_PAGE)) != (VALID | TABLE_OR_PAGE)) continue;
      if (dbm && (d & DBM) == 0) {
        pt.update(index, VALID | S2AP_WRITE, S2AP_WRITE, DBM);
      } else {
        pt.update(index, VALID | S2AP_WRITE, S2AP_WRITE, 0);
      }
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (!Descriptor.isBlock(desc, level) || level != 2) return false;
    long first = Math.max(gfn, maskBaseGfn);
    long end = gfn + (1L << Stage2PageTable.shiftOf(level));
    for (long g = first; g < end; g++) {
      if ((g - maskBaseGfn) >>> 6 >= mask.length) break;
      if (masked(g)) {
        splits++;
        return pt.splitBlock(index, 0, dbm ? DBM : 0);
      }
    }
    return false;
  }
}
