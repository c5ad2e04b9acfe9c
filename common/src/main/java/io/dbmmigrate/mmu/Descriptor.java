package io.dbmmigrate.mmu;

/**
 * Bit layout of an ARMv8 stage-2 translation table descriptor (VMSAv8-64, 4 KiB granule), the
 * subset the simulation uses, plus helpers. Pure functions on {@code long}; no state.
 *
 * <pre>
 *  63    59 58  55 54 53 52 51  50  48 47                                  12 11 10  9 8  7 6  5   2  1  0
 * +--------+------+-----+---+----+-----+--------------------------------------+--+---+----+----+------+---+---+
 * |  ign.  |  SW  | XN  |Cnt|DBM | res |   output address (page frame or    |nG| AF| SH |S2AP|MemAtt| T | V |
 * |        |      |     |   | 51 |     |   next-level table), bits 47:12     |  | 10|    |7  6|      | 1 | 0 |
 * +--------+------+-----+---+----+-----+--------------------------------------+--+---+----+----+------+---+---+
 *
 *  V   (0)  valid. 0: the entry is invalid (translation fault); all other bits are ignored.
 *  T   (1)  at levels 0-2: 1 = table descriptor, 0 = block; at level 3: must be 1 (page).
 *  S2AP     stage-2 access permissions: bit 6 = read allowed, bit 7 = write allowed.
 *  AF  (10) access flag: 0 → first access takes an access-flag fault, or, with VTCR_EL2.HA,
 *           the hardware sets it atomically.
 *  OA       output address: for tables, the table's index in the page-table arena; for leaves,
 *           the host page frame.
 *  DBM (51) dirty bit modifier: with VTCR_EL2.HD, a write through DBM=1, S2AP[1]=0 makes the
 *           hardware set S2AP[1] atomically instead of faulting. Hence (DBM and writable) means
 *           "hardware dirty", (DBM and read-only) means "clean".
 * </pre>
 *
 * <p>Invariant kept by every writer of descriptors ("only writable PTEs get DBM"): DBM is only set
 * on a PTE the guest may write, i.e. a page of a writable slot, either while it is writable or on a
 * mapping that write-protects such a page for logging (clean). A read-only mapping (ROM) never
 * gets DBM, so the hardware can never make it writable. See {@link Stage2PageTable}.
 */
public final class Descriptor {
  private Descriptor() {}

  public static final long VALID = 1L;
  /** Table (levels 0-2) or page (level 3) when set; block when clear at levels 1-2. */
  public static final long TABLE_OR_PAGE = 1L << 1;

  public static final long MEMATTR_NORMAL_WB = 0xFL << 2;
  public static final long S2AP_READ = 1L << 6;
  public static final long S2AP_WRITE = 1L << 7;
  public static final long SH_INNER = 3L << 8;
  public static final long AF = 1L << 10;
  public static final long DBM = 1L << 51;

  public static final int OA_SHIFT = 12;
  public static final long OA_MASK = ((1L << 48) - 1) & ~((1L << OA_SHIFT) - 1);

  /** Bits that make a leaf "hardware dirty": valid, DBM and write permission. */
  public static final long HW_DIRTY_BITS = VALID | DBM | S2AP_WRITE;

  /** Attribute bits every valid leaf of this simulation carries. */
  public static final long LEAF_BASE_ATTRS = VALID | MEMATTR_NORMAL_WB | SH_INNER | S2AP_READ;

  public static boolean isValid(long d) {
    return (d & VALID) != 0;
  }

  /** A table descriptor at level 0-2 (never true at level 3). */
  public static boolean isTable(long d, int level) {
    return level < 3 && (d & (VALID | TABLE_OR_PAGE)) == (VALID | TABLE_OR_PAGE);
  }

  /** A block descriptor (level 1 or 2). */
  public static boolean isBlock(long d, int level) {
    return level < 3 && (d & (VALID | TABLE_OR_PAGE)) == VALID;
  }

  /** A valid leaf: a page at level 3 or a block at levels 1-2. */
  public static boolean isLeaf(long d, int level) {
    return level == 3 ? (d & (VALID | TABLE_OR_PAGE)) == (VALID | TABLE_OR_PAGE) : isBlock(d, level);
  }

  public static boolean isWritable(long d) {
    return (d & S2AP_WRITE) != 0;
  }

  public static boolean hasDbm(long d) {
    return (d & DBM) != 0;
  }

  public static boolean isYoung(long d) {
    return (d & AF) != 0;
  }

  /** The hardware dirty state, as KVM's {@code pte_hw_dirty}: valid, DBM and writable. */
  public static boolean isHwDirty(long d) {
    return (d & HW_DIRTY_BITS) == HW_DIRTY_BITS;
  }

  /** Output address field as a frame number (table index for table descriptors). */
  public static long outputFrame(long d) {
    return (d & OA_MASK) >>> OA_SHIFT;
  }

  /** A table descriptor pointing at arena table number {@code tableNo}. */
  public static long table(int tableNo) {
    return ((long) tableNo << OA_SHIFT) | VALID | TABLE_OR_PAGE;
  }

  /**
   * A level-3 page descriptor for host frame {@code frame} with access flag set and the given
   * permission/DBM bits ({@link #S2AP_WRITE}, {@link #DBM}).
   */
  public static long page(long frame, long extraBits) {
    return ((frame << OA_SHIFT) & OA_MASK) | LEAF_BASE_ATTRS | TABLE_OR_PAGE | AF | extraBits;
  }

  /** A level-2 (2 MiB) block descriptor for the host frame of its first page. */
  public static long block(long frame, long extraBits) {
    return ((frame << OA_SHIFT) & OA_MASK) | LEAF_BASE_ATTRS | AF | extraBits;
  }

  /** Human-readable form for test messages. */
  public static String describe(long d, int level) {
    if (!isValid(d)) return "invalid";
    if (isTable(d, level)) return "table@" + outputFrame(d);
    StringBuilder sb = new StringBuilder(level == 3 ? "page" : "block");
    sb.append("(frame=").append(outputFrame(d));
    sb.append(isWritable(d) ? ",RW" : ",RO");
    if (isYoung(d)) sb.append(",AF");
    if (hasDbm(d)) sb.append(",DBM");
    return sb.append(')').toString();
  }
}
