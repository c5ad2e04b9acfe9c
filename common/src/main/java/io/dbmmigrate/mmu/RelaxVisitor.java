package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.VALID;

/**
 * Relax permissions (dirty-log disable): every valid leaf of a writable slot becomes writable and
 * loses DBM. Making a PTE more permissive needs no TLB invalidation (only writable translations
 * are ever cached). By CAS, so a racing hardware or fault update is not overwritten.
 */
final class RelaxVisitor implements Stage2Visitor {
  long visited;

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    for (int i = from; i < to; i++) {
      visited++;
      pt.update(base + i, VALID, DBM, S2AP_WRITE);
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (Descriptor.isBlock(desc, level)) pt.updateBlock(index, VALID, DBM, S2AP_WRITE);
    return false;
  }
}
