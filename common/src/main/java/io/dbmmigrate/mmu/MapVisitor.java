package io.dbmmigrate.mmu;

/**
 * Map a range ahead of use (KVM_PRE_FAULT_MEMORY): allocates missing tables, maps 2 MiB blocks
 * where allowed, and pages with {@code pageAttrs} (OA = gfn) everywhere else that is invalid.
 * Valid entries are left as they are. Invalid → valid is a CAS, so a racing fault wins cleanly.
 */
final class MapVisitor implements Stage2Visitor {
  private final long pageAttrs;
  private final long blockAttrs; // 0: no blocks
  private final long startGfn;
  private final long endGfn;
  long mapped;

  MapVisitor(long startGfn, long endGfn, long pageAttrs, long blockAttrs) {
    this.startGfn = startGfn;
    this.endGfn = endGfn;
    this.pageAttrs = pageAttrs;
    this.blockAttrs = blockAttrs;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {
    for (int i = from; i < to; i++) {
      int index = base + i;
      if (pt.get(index) != 0L) continue;
      long gfn = firstGfn + (i - from);
      if (pt.compareAndSet(index, 0L, Descriptor.page(gfn, pageAttrs))) mapped++;
    }
  }

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (Descriptor.isValid(desc)) return false; // a block: already mapped
    if (level == 2 && blockAttrs != 0 && gfn >= startGfn && gfn + Stage2PageTable.ENTRIES <= endGfn) {
      if (pt.compareAndSet(index, desc, Descriptor.block(gfn, blockAttrs))) {
        mapped += Stage2PageTable.ENTRIES;
        return false;
      }
    }
    pt.installTable(index, desc, null);
    return true;
  }
}
