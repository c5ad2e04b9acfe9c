package io.dbmmigrate.mmu;

/**
 * Eager split: every level-2 block in the range becomes a table of 512 pages with the block's
 * attributes, then {@code (attrs & ~clear) | set}. Caller invalidates the TLB afterwards.
 */
final class SplitVisitor implements Stage2Visitor {
  private final long clear;
  private final long set;
  long splits;

  SplitVisitor(long clear, long set) {
    this.clear = clear;
    this.set = set;
  }

  @Override
  public void visitLeafTable(Stage2PageTable pt, int base, int from, int to, long firstGfn) {}

  @Override
  public boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    if (level == 2 && Descriptor.isBlock(desc, level) && pt.splitBlock(index, clear, set)) splits++;
    return false;
  }
}
