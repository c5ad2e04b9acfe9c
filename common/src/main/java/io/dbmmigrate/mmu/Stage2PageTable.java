package io.dbmmigrate.mmu;

import io.dbmmigrate.memory.MemorySlotSpec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stage-2 translation table with a 4 KiB granule held in one {@code long[]} arena: table number
 * {@code t} is the 512 consecutive longs {@code arena[t*512 .. t*512+511]}, so a level-3 (leaf)
 * table is one contiguous run that the dirty scan reads sequentially. The walk starts at level 1
 * (39-bit IPA, 512 GiB) or, for larger guests, at level 0 (48-bit IPA). Level shifts in guest
 * frames: level 3 = 0 (4 KiB), level 2 = 9 (2 MiB), level 1 = 18 (1 GiB), level 0 = 27.
 *
 * <h2>Concurrency contract</h2>
 *
 * <table>
 * <caption>who changes what, and how</caption>
 * <tr><th>change</th><th>by</th><th>operation</th></tr>
 * <tr><td>invalid → table (allocate)</td><td>map, split</td><td>CAS, under {@code structureLock}</td></tr>
 * <tr><td>block → table (split)</td><td>split</td><td>CAS, under {@code structureLock}</td></tr>
 * <tr><td>invalid → leaf (map)</td><td>translation fault, remap</td><td>CAS</td></tr>
 * <tr><td>leaf → invalid (unmap)</td><td>host MM</td><td>CAS from the value just read (that value is what was removed), saved if hw-dirty</td></tr>
 * <tr><td>block → table (split)</td><td>permission fault, host split, mask write-protect</td><td>CAS; the pages keep the block's attributes, a hardware-set write bit included</td></tr>
 * <tr><td>AF 0 → 1</td><td>hardware (HA) or access fault</td><td>CAS</td></tr>
 * <tr><td>AF 1 → 0 (mkOld)</td><td>host aging</td><td>CAS loop ({@link #update})</td></tr>
 * <tr><td>S2AP[1] 0 → 1 with DBM</td><td>hardware (HD)</td><td>CAS</td></tr>
 * <tr><td>S2AP[1] 0 → 1 (relax)</td><td>permission fault, disable</td><td>CAS loop, after marking the bitmap</td></tr>
 * <tr><td>S2AP[1] 1 → 0 (write-protect)</td><td>dirty-log enable/sync/clear</td><td>CAS loop, recording first</td></tr>
 * <tr><td>DBM 0 → 1</td><td>dirty-log enable/clear (pages and blocks), map in HW mode</td><td>CAS loop; only on writable-slot PTEs</td></tr>
 * </table>
 *
 * <p>Invariant: nobody stores a descriptor computed from a stale read; every update of a live
 * entry is a compare-and-set, so a hardware-set write bit is never overwritten. Tables are never freed (a split region keeps its leaf table), so a table index read
 * from a descriptor stays valid forever. Fresh tables are filled with plain stores and published by
 * the CAS of their parent entry (volatile semantics); walkers read table descriptors with acquire.
 */
public final class Stage2PageTable {
  static final VarHandle ARENA = MethodHandles.arrayElementVarHandle(long[].class);

  public static final int ENTRIES = 512;
  public static final int ENTRY_BITS = 9;

  private final long[] arena;
  private final int startLevel;
  private final long gfnLimit;
  private final int capacityTables;
  /** Guards table allocation and structural changes (invalid/block → table). */
  private final ReentrantLock structureLock = new ReentrantLock();
  /** Next free table number; guarded by structureLock (read racily by {@link #tablesInUse}). */
  private volatile int nextTable;

  /**
   * A table able to map every frame of {@code slots} at page granularity (the worst case: every
   * 2 MiB region split), so the arena never grows.
   */
  public static Stage2PageTable forSlots(List<MemorySlotSpec> slots) {
    long limit = 0;
    for (MemorySlotSpec s : slots) limit = Math.max(limit, s.endGfn());
    int start = limit <= (1L << 27) ? 1 : 0;
    long tables = 1;
    for (int level = start + 1; level <= 3; level++) {
      int parentShift = shiftOf(level - 1);
      long prevEnd = -1;
      for (MemorySlotSpec s : slots) {
        long first = s.baseGfn() >>> parentShift;
        long last = (s.endGfn() - 1) >>> parentShift;
        if (first <= prevEnd) first = prevEnd + 1;
        if (last >= first) tables += last - first + 1;
        prevEnd = Math.max(prevEnd, last);
      }
    }
    if (tables * ENTRIES > Integer.MAX_VALUE - 8)
      throw new IllegalArgumentException("guest too large for one page-table arena");
    return new Stage2PageTable(start, limit, (int) tables);
  }

  public Stage2PageTable(int startLevel, long gfnLimit, int capacityTables) {
    if (startLevel < 0 || startLevel > 1) throw new IllegalArgumentException("start level 0 or 1");
    if (startLevel == 1 && gfnLimit > (1L << 27))
      throw new IllegalArgumentException("start level 1 covers 512 GiB only");
    this.startLevel = startLevel;
    this.gfnLimit = gfnLimit;
    this.capacityTables = capacityTables;
    this.arena = new long[capacityTables * ENTRIES];
    this.nextTable = 1; // table 0 is the root
  }

  /** Guest-frame shift of one entry at {@code level}. */
  public static int shiftOf(int level) {
    return ENTRY_BITS * (3 - level);
  }

  public int startLevel() {
    return startLevel;
  }

  public long gfnLimit() {
    return gfnLimit;
  }

  /** Arena index of the first entry of table number {@code tableNo}. */
  public static int baseOf(int tableNo) {
    return tableNo << ENTRY_BITS;
  }

  /** Arena index of the first entry of the table a table descriptor points to. */
  public static int childBase(long tableDesc) {
    return baseOf((int) Descriptor.outputFrame(tableDesc));
  }

  public int tablesInUse() {
    return nextTable;
  }

  public int capacityTables() {
    return capacityTables;
  }

  public long arenaBytes() {
    return (long) arena.length * Long.BYTES;
  }

  // ---------------------------------------------------------------- entry access (memory modes)

  /** Acquire read: sees a published child table's contents. */
  public long get(int index) {
    return (long) ARENA.getAcquire(arena, index);
  }

  /**
   * The first arena index in {@code [start, end)} whose entry has all of {@code bits} set, or
   * {@code end}: the dirty scan's candidate filter, one tight loop of opaque reads over consecutive
   * longs that runs at memory bandwidth. Every hit is re-checked and changed by a CAS.
   *
   * <p>Tolerated race, named: an opaque read is coherent but carries no happens-before, so it may
   * return a value older than a hardware write-bit update racing with the scan. Like the kernel's
   * READ_ONCE scan, the simulation relies on cache coherence for such a race (each entry is read
   * once, nothing is cached), and the page is in any case dirty again in the next sync: its PTE
   * stays hardware-dirty until a scan clears it.
   */
  public int findFirstWithBits(int start, int end, long bits) {
    final long[] a = arena;
    for (int i = start; i < end; i++) {
      if (((long) ARENA.getOpaque(a, i) & bits) == bits) return i;
    }
    return end;
  }

  public boolean compareAndSet(int index, long expect, long update) {
    return ARENA.compareAndSet(arena, index, expect, update);
  }

  /** Plain store: only for tests and the broken AF-clear variant; never on a live entry. */
  void setPlain(int index, long value) {
    ARENA.set(arena, index, value);
  }

  /**
   * Plain store for the deliberately broken scan of the dirty package's tests (a write computed
   * from a stale read). Nothing else may call it: it breaks the table's invariant.
   */
  public void setPlainForBrokenVariant(int index, long value) {
    ARENA.set(arena, index, value);
  }

  /**
   * The one attribute-update path (set/clear masks, as the kernel's {@code stage2_update_leaf_attrs}):
   * atomically, if {@code (d & require) == require}, replace d by {@code (d & ~clear) | set}.
   *
   * @return the value before the update; when it does not satisfy {@code require}, nothing changed
   */
  public long update(int index, long require, long clear, long set) {
    while (true) {
      long d = get(index);
      if ((d & require) != require) return d;
      long n = (d & ~clear) | set;
      if (n == d || compareAndSet(index, d, n)) return d;
    }
  }

  /**
   * {@link #update} for an entry at level 1-2 that the caller saw as a block: the update happens
   * only while it still is a block. A visitor walking levels 0-2 may race with a split that turns
   * the block into a table descriptor; a plain {@code require = VALID} update would then write
   * attribute bits into the table descriptor (ignored by the walk, but a write computed for a
   * different kind of entry). Returns the value before; unchanged when not a block or not {@code
   * require}.
   */
  public long updateBlock(int index, long require, long clear, long set) {
    while (true) {
      long d = get(index);
      if ((d & (Descriptor.VALID | Descriptor.TABLE_OR_PAGE)) != Descriptor.VALID) return d;
      if ((d & require) != require) return d;
      long n = (d & ~clear) | set;
      if (n == d || compareAndSet(index, d, n)) return d;
    }
  }

  // ---------------------------------------------------------------- lookup

  /**
   * Walks to the entry that translates {@code gfn}: a level-3 entry, or a block/invalid entry at a
   * higher level. Returns {@code (level << 32) | arenaIndex}.
   */
  public long lookup(long gfn) {
    int base = 0;
    for (int level = startLevel; ; level++) {
      int index = base + (int) ((gfn >>> shiftOf(level)) & (ENTRIES - 1));
      if (level == 3) return (3L << 32) | index;
      long d = get(index);
      if (!Descriptor.isTable(d, level)) return ((long) level << 32) | index;
      base = childBase(d);
    }
  }

  public static int lookupIndex(long packed) {
    return (int) packed;
  }

  public static int lookupLevel(long packed) {
    return (int) (packed >>> 32);
  }

  // ---------------------------------------------------------------- structure (slow path)

  /**
   * Arena base of the level-3 table covering {@code gfn}, allocating missing intermediate tables.
   * Returns -1 when a block maps the region (the caller splits it first, or maps nothing).
   */
  public int ensureLeafTable(long gfn) {
    return ensureTable(gfn, 3);
  }

  /**
   * Arena index of the level-2 entry covering {@code gfn} (allocating levels above), or -1 when a
   * level-1 block is in the way.
   */
  public int ensureLevel2Entry(long gfn) {
    int base = ensureTable(gfn, 2);
    return base < 0 ? -1 : base + (int) ((gfn >>> shiftOf(2)) & (ENTRIES - 1));
  }

  /** Arena base of the table at {@code targetLevel} covering gfn; allocates; -1 on a block. */
  private int ensureTable(long gfn, int targetLevel) {
    checkGfn(gfn);
    int base = 0;
    for (int level = startLevel; level < targetLevel; level++) {
      int index = base + (int) ((gfn >>> shiftOf(level)) & (ENTRIES - 1));
      long d = get(index);
      if (!Descriptor.isTable(d, level)) {
        if (Descriptor.isValid(d)) return -1;
        d = installTable(index, d, null);
        if (!Descriptor.isTable(d, level)) {
          if (Descriptor.isValid(d)) return -1;
          level--; // lost a race against another structural change; re-read this level
          continue;
        }
      }
      base = childBase(d);
    }
    return base;
  }

  /**
   * Replaces entry {@code index}, expected to hold {@code expect}, by a table descriptor of a fresh
   * table whose 512 entries are {@code entries} (null: all invalid). Break-before-make is not
   * needed for invalid → table; for block → table (split) the caller invalidates the TLB after.
   *
   * @return the entry's value after the attempt (the new table descriptor on success)
   */
  long installTable(int index, long expect, long[] entries) {
    structureLock.lock();
    try {
      long cur = get(index);
      if (cur != expect) return cur;
      int tableNo = nextTable;
      if (tableNo >= capacityTables) throw new IllegalStateException("page-table arena exhausted");
      int base = baseOf(tableNo);
      for (int i = 0; i < ENTRIES; i++) ARENA.set(arena, base + i, entries == null ? 0L : entries[i]);
      long desc = Descriptor.table(tableNo);
      if (!compareAndSet(index, expect, desc)) return get(index); // table stays free for reuse
      nextTable = tableNo + 1;
      return desc;
    } finally {
      structureLock.unlock();
    }
  }

  /**
   * Splits the level-2 block at arena index {@code index} (covering frames from {@code gfn}) into a
   * level-3 table of 512 pages with the block's attributes, then {@code (attrs & ~clear) | set}.
   * The caller sets DBM only when the block maps a writable slot (the DBM invariant of {@link
   * Descriptor}). A {@code clear} holding S2AP[1] drops a hardware-set write bit (the block is
   * re-read after a lost race, and the hardware may have dirtied it meanwhile): every caller in
   * this simulation passes 0, so the pages inherit the block's dirty state.
   *
   * @return true when the entry is a table afterwards (split here or concurrently)
   */
  public boolean splitBlock(int index, long clear, long set) {
    long[] pages = new long[ENTRIES];
    while (true) {
      long block = get(index);
      if (Descriptor.isTable(block, 2)) return true;
      if (!Descriptor.isBlock(block, 2)) return false;
      long frame0 = Descriptor.outputFrame(block);
      long attrs = (block & ~Descriptor.OA_MASK) | Descriptor.TABLE_OR_PAGE;
      attrs = (attrs & ~clear) | set;
      for (int i = 0; i < ENTRIES; i++)
        pages[i] = attrs | (((frame0 + i) << Descriptor.OA_SHIFT) & Descriptor.OA_MASK);
      long after = installTable(index, block, pages);
      if (Descriptor.isTable(after, 2)) return true;
      // the block changed under us (AF update, unmap): retry from the new value
    }
  }

  private void checkGfn(long gfn) {
    if (gfn < 0 || gfn >= gfnLimit) throw new IndexOutOfBoundsException("gfn " + gfn);
  }

  // ---------------------------------------------------------------- the walker

  /** Visits {@code [startGfn, endGfn)}; see {@link Stage2Visitor}. */
  public void walk(long startGfn, long endGfn, Stage2Visitor visitor) {
    if (startGfn >= endGfn) return;
    checkGfn(startGfn);
    checkGfn(endGfn - 1);
    walkTable(0, startLevel, startGfn, endGfn, visitor);
  }

  private void walkTable(int base, int level, long start, long end, Stage2Visitor visitor) {
    final int shift = shiftOf(level);
    final long tableFirst = start & -(1L << (shift + ENTRY_BITS));
    final int from = (int) ((start - tableFirst) >>> shift);
    final int to = (int) Math.min(ENTRIES, ((end - 1 - tableFirst) >>> shift) + 1);
    if (level == 3) {
      visitor.visitLeafTable(this, base, from, to, tableFirst + from);
      return;
    }
    final long span = 1L << shift;
    for (int i = from; i < to; i++) {
      int index = base + i;
      long gfn = tableFirst + ((long) i << shift);
      long d = get(index);
      if (!Descriptor.isTable(d, level)) {
        if (!visitor.visitEntry(this, level, index, gfn, d)) continue;
        d = get(index);
        if (!Descriptor.isTable(d, level)) continue;
      }
      walkTable(childBase(d), level + 1, Math.max(start, gfn), Math.min(end, gfn + span), visitor);
    }
  }
}
