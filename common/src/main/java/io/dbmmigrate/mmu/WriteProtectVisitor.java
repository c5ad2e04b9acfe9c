package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;
import static io.dbmmigrate.mmu.Descriptor.VALID;

/**
 * Write-protect by range (dirty-log enable): clears S2AP[1] on every valid leaf in the range.
 * With {@code dbm}, a writable page instead becomes DBM + read-only ("clean" under hardware
 * logging); a page that is read-only without DBM stays so (it faults, and the fault logs it).
 * Blocks lose write permission and, with {@code dbm}, get DBM like pages (a write then makes the
 * whole 2 MiB hardware-dirty, which the scan harvests as 512 pages; without HD it faults and
 * splits the block).
 *
 * <p>The caller invalidates the TLB afterwards. Every change is a CAS ({@link
 * Stage2PageTable#update}); the write bit of a hardware-dirty PTE is only cleared by the dirty-log
 * paths that record the page first (this visitor runs at enable, before anything is logged).
 */
final class WriteProtectVisitor implements Stage2Visitor {
  private final boolean dbm;
  long visited;
  long changed;

  WriteProtectVisitor(boolean dbm) {
    this.dbm = dbm;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    for (int i = from; i < to; i++) {
      int index = base + i;
      long d = pt.get(index);
      if ((d & (VALID | TABLE_OR_PAGE)) != (VALID | TABLE_OR_PAGE)) continue;
      visited++;
      long old =
          dbm
              ? pt.update(index, VALID | S2AP_WRITE, S2AP_WRITE, DBM)
              : pt.update(index, VALID | S2AP_WRITE, S2AP_WRITE, 0);
      if ((old & (VALID | S2AP_WRITE)) == (VALID | S2AP_WRITE)) changed++;
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (Descriptor.isBlock(desc, level)) {
      visited++;
      long old = pt.updateBlock(index, VALID | S2AP_WRITE, S2AP_WRITE, dbm ? DBM : 0);
      if ((old & (VALID | S2AP_WRITE)) == (VALID | S2AP_WRITE)) changed++;
    }
    return false;
  }
}
