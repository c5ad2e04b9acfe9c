package io.dbmmigrate.mmu;

/**
 * Callbacks of {@link Stage2PageTable#walk}: the one traversal of the table (as the kernel's
 * {@code kvm_pgtable_walk}); map, split, write-protect, aging and the dirty scan are visitors.
 *
 * <p>The walker descends through table descriptors itself. It calls {@link #visitLeafTable} once
 * per level-3 table (a run of consecutive arena longs, so that hot visitors loop over a primitive
 * range without a call per entry) and {@link #visitEntry} for every entry at levels 0-2 that is not
 * a table descriptor (a block or an invalid entry). A visitor changes entries only through the
 * table's atomic operations.
 */
public interface Stage2Visitor {
  /**
   * Entries {@code [from, to)} of the level-3 table at arena index {@code tableBase}; entry {@code
   * from} maps guest frame {@code firstGfn}, entry {@code from + k} maps {@code firstGfn + k}.
   */
  void visitLeafTable(Stage2PageTable pt, int tableBase, int from, int to, long firstGfn);

  /**
   * A non-table entry at level 0-2 (block or invalid) at arena index {@code index}, covering guest
   * frames from {@code gfn} (the entry's first frame, possibly below the walk's start).
   *
   * @return true to make the walker re-read the entry and descend if it now is a table (a visitor
   *     that installed a table, e.g. split or map)
   */
  default boolean visitEntry(Stage2PageTable pt, int level, int index, long gfn, long desc) {
    return false;
  }
}
