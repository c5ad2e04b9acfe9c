package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.AF;
import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;
import static io.dbmmigrate.mmu.Descriptor.VALID;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The simulated stage-2 MMU of one VM: the vCPU store path (TLB → walk → hardware AF/DBM updates →
 * faults), the fault handlers (KVM's {@code user_mem_abort}), the host-side operations on the table
 * (map, write-protect, split, mkOld, unmap/remap) and the TLB invalidation and kick.
 *
 * <h2>The store path (one store, vCPU thread)</h2>
 *
 * <ol>
 *   <li>Open the store window ({@link TlbDomain#enter}); if the TLB generation moved, drop the TLB
 *       (and, after a kick, reload VTCR and pay the kick cost).
 *   <li>Translate: a TLB hit is a writable translation. Otherwise walk: invalid → translation fault;
 *       AF clear → with HA the hardware sets it by CAS, else access-flag fault; writable → fill TLB;
 *       read-only with HD and DBM → the hardware sets S2AP[1] by CAS ("hardware dirty") and fills
 *       the TLB; otherwise → permission fault. The walk is {@link #onLeaf}, the one
 *       lookup-and-retry loop that the fault handlers and host replacements use too.
 *   <li>Store the 8 bytes, close the window (release). A fault closes the window first; the
 *       handler runs outside it (so an invalidation never waits for a handler), then the store is
 *       retried.
 * </ol>
 *
 * <h2>Who decides what a fault does</h2>
 *
 * The MMU does not know the dirty-log modes. The dirty log installs a {@link DirtyTracker}
 * ({@link #setTracker}); per {@link FaultKind} it names the PTE attributes to set or clear and the
 * recorder to call first. The MMU keeps, whatever the tracker says, the rules below the modes: ROM
 * is mapped read-only without DBM; a record happens before the PTE change it justifies; a
 * replaced hardware-dirty PTE is saved; every PTE change is a CAS from the value just read.
 *
 * <h2>Concurrency contract</h2>
 *
 * <ul>
 *   <li>PTE bits: see {@link Stage2PageTable}. Every change is a CAS.
 *   <li>{@code mmuLock} (read/write, like KVM's {@code mmu_lock}): fault handlers and host
 *       replacements (unmap/remap, split) hold it shared; a handler's "record, then make
 *       writable" is one shared section. The dirty log takes it exclusively: (a) as a barrier after
 *       installing a tracker, so that no fault handler still maps with the old tracker's
 *       attributes; (b) around "take the log bitmap, write-protect those pages" ({@link
 *       #lockForHarvest}), so that no handler can record a page, lose its bit to the harvest and
 *       then make the page writable behind the harvest's write-protect (the page would stay
 *       writable with no bit: every later store lost); this also makes every replacement that
 *       erased a hardware-dirty PTE before the scan saw it record the page first.
 *   <li>{@code tracker}: volatile, written by the dirty log's control thread before the barrier
 *       (a), read by fault handlers under the shared lock.
 *   <li>Lost races: a step of {@link #onLeaf} whose CAS fails, or that finds a table where the
 *       walk saw a leaf (a split under us), walks again; an entry found invalid (an unmap) ends
 *       the step, and the retried store takes a translation fault. No step writes a value
 *       computed from an older read. The fault paths no longer update "whatever is at the index"
 *       with {@code require = VALID}, which a racing split could turn into a write into a table
 *       descriptor (harmless only because those bits are ignored there); block visitors use
 *       {@link Stage2PageTable#updateBlock} for the same reason.
 *   <li>Counters: LongAdder, increments racy-summed (monotonic, approximate while running).
 * </ul>
 *
 * <p>Invariants kept here: DBM is only ever set on PTEs of writable slots (a translation fault on
 * ROM maps it read-only without DBM; write-protect paths require the write bit), so the hardware never
 * makes a ROM page writable. A permission fault during logging records the page before making the
 * PTE writable. A replacement of a hardware-dirty PTE records the page before its lock section
 * ends. TLB invalidation completes only when every store that used an old translation is visible.
 */
public final class Stage2Mmu {
  /** Post-copy missing pages (null outside post-copy); see {@link MissingPageHook}. */
  private volatile MissingPageHook missingPages;

  static final int OK = 0;
  static final int TRANSLATION_FAULT = 1;
  static final int ACCESS_FAULT = 2;
  static final int PERMISSION_FAULT = 3;
  /** FEAT_HDBSS buffer full: an exit before the hardware dirty-state update (nothing changed). */
  static final int BUFFER_FULL = 4;

  /** Outcomes of {@link #onLeaf} besides a step's own: no valid leaf, or walk again. */
  private static final long NO_LEAF = -1;

  private static final long RETRY = -2;
  /** A step's "done" (descriptors are never negative: bit 63 is never set here). */
  private static final long DONE = 0;

  /** One attempt on the leaf {@code d} at {@code index}: an outcome, or {@link #RETRY}. */
  @FunctionalInterface
  private interface LeafStep {
    long apply(VcpuContext c, long gfn, int level, int index, long d);
  }

  private final Stage2PageTable pt;
  private final ChunkedGuestMemory memory;
  private final TlbDomain tlb;
  private final Vtcr vtcr;
  private final MmuTuning tuning;
  private final BackingPageSize backing;
  private final BrokenVariant broken;
  private final ReentrantReadWriteLock mmuLock = new ReentrantReadWriteLock();
  // The steps of onLeaf, allocated once (the store path allocates nothing).
  private final LeafStep writeAccess = this::writeAccess;
  private final LeafStep relaxForWrite = this::relaxForWrite;
  private final LeafStep mkYoung = this::mkYoung;

  private volatile DirtyTracker tracker = DirtyTracker.OFF;

  private final LongAdder translationFaults = new LongAdder();
  private final LongAdder permissionFaults = new LongAdder();
  private final LongAdder accessFaults = new LongAdder();
  private final LongAdder hardwareDirtySets = new LongAdder();
  private final LongAdder kicks = new LongAdder();
  private final LongAdder blockSplits = new LongAdder();
  private final LongAdder droppedStores = new LongAdder();
  private final LongAdder bufferFullExits = new LongAdder();

  public Stage2Mmu(ChunkedGuestMemory memory, int vcpus, MmuTuning tuning, BackingPageSize backing) {
    this(memory, vcpus, tuning, backing, MmuVariant.CORRECT);
  }

  public Stage2Mmu(
      ChunkedGuestMemory memory,
      int vcpus,
      MmuTuning tuning,
      BackingPageSize backing,
      MmuVariant variant) {
    this.memory = memory;
    this.pt = Stage2PageTable.forSlots(memory.slots());
    this.broken = variant.broken;
    this.tlb = new TlbDomain(vcpus, broken != BrokenVariant.INVALIDATION_DOES_NOT_WAIT);
    this.vtcr = new Vtcr(tuning.hardwareAccessFlag());
    this.tuning = tuning;
    this.backing = backing;
  }

  public Stage2PageTable pageTable() {
    return pt;
  }

  public ChunkedGuestMemory memory() {
    return memory;
  }

  public Vtcr vtcr() {
    return vtcr;
  }

  public TlbDomain tlbDomain() {
    return tlb;
  }

  public MmuTuning tuning() {
    return tuning;
  }

  public BackingPageSize backing() {
    return backing;
  }

  public MmuVariant variant() {
    return MmuVariant.of(broken);
  }

  /**
   * Installs (or, with null, removes) the post-copy missing-page check that every guest write
   * access consults before its translation. Volatile: vCPU threads see a change at their next store.
   */
  public void setMissingPageHook(MissingPageHook hook) {
    this.missingPages = hook;
  }

  public VcpuContext newContext(int vcpuIndex) {
    if (vcpuIndex < 0 || vcpuIndex >= tlb.vcpus()) throw new IllegalArgumentException("vcpu index");
    return new VcpuContext(vcpuIndex, vtcr);
  }

  // ================================================================ vCPU store path

  /**
   * One guest store of 8 bytes at {@code byteOffset} (multiple of 8) of page {@code gfn}; the value
   * is computed inside the store window. Handles faults and retries.
   *
   * @return false when the store was dropped (a write to a read-only slot, or to no slot: on KVM
   *     an MMIO exit to user space)
   */
  public boolean store(VcpuContext c, long gfn, int byteOffset, StoreValue value, long seq) {
    return access(c, gfn, byteOffset, value, seq);
  }

  /**
   * The write access of a store, without the data: translation, hardware AF/DBM updates and faults
   * exactly as {@link #store}, but no page content is touched or allocated. For benchmarks that
   * dirty millions of pages of a large guest without paying for their contents.
   */
  public boolean touchForWrite(VcpuContext c, long gfn) {
    return access(c, gfn, 0, null, 0);
  }

  private boolean access(VcpuContext c, long gfn, int byteOffset, StoreValue value, long seq) {
    final int v = c.index;
    final MissingPageHook m = missingPages; // post-copy: wait for the page, outside the window
    if (m != null && m.isMissing(gfn)) m.awaitPresent(v, gfn);
    while (true) {
      final int r;
      tlb.enter(v);
      // The window is closed in finally: a store that throws must not leave an in-flight count
      // behind, or every later TLB invalidation (and so every sync) would wait forever.
      try {
        long g = tlb.generation();
        if (g != c.seenGeneration) reload(c, g);
        r = translateForWrite(c, gfn);
        if (r == OK) {
          // Broken variant 1 widens the translate→store window so the missing wait is caught.
          if (broken == BrokenVariant.INVALIDATION_DOES_NOT_WAIT) Thread.yield();
          if (value != null) memory.storeLong(gfn, byteOffset, value.valueAt(v, gfn, seq));
          return true;
        }
      } finally {
        tlb.exit(v);
      }
      if (!handleFault(c, gfn, r)) return false;
      // After every exit (outside the window and the lock): the tracker's ring-full or
      // buffer-full service and its dirty-rate limit.
      c.debtNanos += tracker.afterExit(v);
    }
  }

  /** After a TLB generation change: drop the TLB; after a kick also reload VTCR and pay for it. */
  private void reload(VcpuContext c, long generation) {
    c.seenGeneration = generation;
    c.tlbFlush();
    long k = vtcr.kickGeneration();
    if (k != c.seenKickGeneration) {
      c.seenKickGeneration = k;
      c.ha = vtcr.ha();
      c.hd = vtcr.hd();
      c.debtNanos += tuning.kickCostNanos();
    }
  }

  /** Inside the store window: the "hardware" part of a write access. */
  private int translateForWrite(VcpuContext c, long gfn) {
    if (c.tlbHit(gfn)) return OK;
    if (gfn < 0 || gfn >= pt.gfnLimit()) return TRANSLATION_FAULT;
    long r = onLeaf(c, gfn, writeAccess);
    return r == NO_LEAF ? TRANSLATION_FAULT : (int) r;
  }

  /**
   * The one lookup-and-retry loop (KVM: the walk, then "lost a race: retry the fault"). Walks to
   * the leaf translating {@code gfn} and lets {@code step} act on the value just read, by CAS from
   * that value. When the entry is a table (a split installed one after the walk passed: walk
   * again) or the step lost a race ({@link #RETRY}), it walks again; tables are never freed, so a
   * stale index is never wrong, only out of date.
   *
   * @return {@link #NO_LEAF} when no valid leaf maps gfn, otherwise the step's outcome
   */
  private long onLeaf(VcpuContext c, long gfn, LeafStep step) {
    while (true) {
      long packed = pt.lookup(gfn);
      int level = Stage2PageTable.lookupLevel(packed);
      int index = Stage2PageTable.lookupIndex(packed);
      long d = pt.get(index);
      if (!Descriptor.isLeaf(d, level)) {
        if (Descriptor.isTable(d, level)) continue; // split under us: walk again
        return NO_LEAF;
      }
      long r = step.apply(c, gfn, level, index, d);
      if (r != RETRY) return r;
    }
  }

  /** Step of the store path: hardware AF and DBM updates by CAS; OK or the fault to take. */
  private long writeAccess(VcpuContext c, long gfn, int level, int index, long d) {
    if ((d & AF) == 0) {
      if (!c.ha) return ACCESS_FAULT;
      if (!pt.compareAndSet(index, d, d | AF)) return RETRY; // hardware AF update, atomic
      d |= AF;
    }
    if ((d & S2AP_WRITE) != 0) {
      c.tlbFill(gfn);
      return OK;
    }
    if (c.hd && (d & DBM) != 0) {
      // Hardware dirty-state update: S2AP[1] set atomically instead of a permission fault. With a
      // hardware dirty-state buffer (HDBSS) a full buffer is an exit before the update, and the
      // gfn is appended after the CAS (a harvest that takes the entry finds the PTE writable).
      DirtyTracker t = tracker;
      if (!t.hardwareLogHasRoom(c.index)) return BUFFER_FULL;
      if (!pt.compareAndSet(index, d, d | S2AP_WRITE)) return RETRY;
      t.hardwareLogged(c.index, gfn & -(1L << Stage2PageTable.shiftOf(level)), level);
      hardwareDirtySets.increment();
      c.tlbFill(gfn);
      return OK;
    }
    return PERMISSION_FAULT;
  }

  // ================================================================ fault handlers

  /** Outside the store window. Returns false when the store is to be dropped. */
  private boolean handleFault(VcpuContext c, long gfn, int kind) {
    c.debtNanos += tuning.faultCostNanos();
    if (kind == BUFFER_FULL) {
      bufferFullExits.increment();
      return true; // served by the tracker's afterExit, then the store is retried
    }
    MemorySlotSpec slot = memory.slotOf(gfn);
    if (slot == null) {
      droppedStores.increment();
      return false;
    }
    mmuLock.readLock().lock();
    try {
      switch (kind) {
        case TRANSLATION_FAULT:
          translationFaults.increment();
          mapOnFault(c, gfn, slot);
          return true;
        case ACCESS_FAULT:
          accessFaults.increment();
          onLeaf(c, gfn, mkYoung);
          return true;
        default:
          if (slot.readOnly()) {
            droppedStores.increment();
            return false;
          }
          permissionFaults.increment();
          onLeaf(c, gfn, relaxForWrite);
          return true;
      }
    } finally {
      mmuLock.readLock().unlock();
    }
  }

  /**
   * Translation fault on a write: map the page with the tracker's {@link FaultKind#WRITE_MAP}
   * attributes, recording it first when the tracker says so. ROM is mapped read-only without DBM
   * whatever the tracker says (so the hardware can never make it writable; the store is dropped by
   * the permission fault of the retry). A tracker that maps blocks on THP backing gets a 2 MiB
   * block.
   */
  private void mapOnFault(VcpuContext c, long gfn, MemorySlotSpec slot) {
    DirtyTracker t = tracker;
    if (slot.readOnly()) {
      // BROKEN variant: ROM gets the DBM bit a clean mapping of the mode would carry.
      long rom =
          broken == BrokenVariant.ROM_DBM_ON_TRANSLATION_FAULT
              ? t.respond(FaultKind.PREFAULT).set() & DBM
              : 0;
      mapPage(gfn, rom);
      return;
    }
    if (t.mapsBlocks() && backing == BackingPageSize.SIZE_2M) {
      long blockGfn = gfn & ~(long) (Stage2PageTable.ENTRIES - 1);
      if (slot.contains(blockGfn) && slot.contains(blockGfn + Stage2PageTable.ENTRIES - 1)) {
        int l2 = pt.ensureLevel2Entry(gfn);
        if (l2 >= 0) {
          long d = pt.get(l2);
          if (!Descriptor.isValid(d)) {
            pt.compareAndSet(
                l2, d, Descriptor.block(blockGfn, t.respond(FaultKind.WRITE_MAP).set()));
            return;
          }
          if (!Descriptor.isTable(d, 2)) return; // a block is there already
        }
      }
    }
    FaultResponse e = t.respond(FaultKind.WRITE_MAP);
    e.record(c.index, gfn); // record before the PTE can be written
    mapPage(gfn, e.set());
  }

  private void mapPage(long gfn, long attrs) {
    int base = pt.ensureLeafTable(gfn);
    if (base < 0) return; // a block maps it: the retry will see it
    int index = base + (int) (gfn & (Stage2PageTable.ENTRIES - 1));
    long d = pt.get(index);
    if (!Descriptor.isValid(d)) pt.compareAndSet(index, d, Descriptor.page(gfn, attrs));
  }

  /** Step of an access-flag fault: set AF by CAS from the value read. */
  private long mkYoung(VcpuContext c, long gfn, int level, int index, long d) {
    if ((d & AF) != 0) return DONE;
    return pt.compareAndSet(index, d, d | AF) ? DONE : RETRY;
  }

  /**
   * Step of a permission fault on a writable slot (KVM: user_mem_abort with a write fault): a
   * block is relaxed in place when the tracker maps blocks, else split (its pages get the
   * tracker's {@link FaultKind#SPLIT} bits and keep the block's, a hardware-set write bit
   * included) and the page handled next; a page gets the tracker's {@link
   * FaultKind#WRITE_PROTECTED} edit, recorded first.
   */
  private long relaxForWrite(VcpuContext c, long gfn, int level, int index, long d) {
    if ((d & S2AP_WRITE) != 0) return DONE; // relaxed meanwhile (hardware or another handler)
    DirtyTracker t = tracker;
    if (level < 3) {
      if (t.mapsBlocks()) return pt.compareAndSet(index, d, d | S2AP_WRITE) ? DONE : RETRY;
      if (pt.splitBlock(index, 0, t.respond(FaultKind.SPLIT).set())) blockSplits.increment();
      return RETRY; // now the page
    }
    FaultResponse e = t.respond(FaultKind.WRITE_PROTECTED);
    e.record(c.index, gfn); // record first, then relax
    return pt.compareAndSet(index, d, (d & ~e.clear()) | e.set()) ? DONE : RETRY;
  }

  // ================================================================ TLB maintenance and kick

  /**
   * Broadcast TLB invalidation; returns when every store that used an old translation is visible.
   * Charges {@code tlbiCostNanos} to the caller. Must not be called from inside a store window.
   */
  public void invalidateAll() {
    tlb.invalidateAll();
    spin(tuning.tlbiCostNanos());
  }

  /**
   * Kicks every vCPU: each reloads VTCR before its next store; returns when none can still store
   * with the old VTCR (the same in-flight rule as an invalidation). Each vCPU pays the kick cost.
   */
  public void kickAll() {
    vtcr.bumpKickGeneration();
    kicks.add(tlb.vcpus());
    tlb.kickAll();
  }

  private static void spin(long nanos) {
    if (nanos <= 0) return;
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) Thread.onSpinWait();
  }

  // ================================================================ dirty-log interface

  /**
   * Installs the tracker the fault handlers follow, then waits (barrier on {@code mmuLock}) until
   * no handler still runs with the previous one.
   */
  public void setTracker(DirtyTracker t) {
    if (t == null) throw new IllegalArgumentException("tracker missing (DirtyTracker.OFF for none)");
    this.tracker = t;
    harvestBarrier();
  }

  public DirtyTracker tracker() {
    return tracker;
  }

  /**
   * Waits until every fault handler and PTE replacement that started before this call has
   * finished (including recording the hardware-dirty state it replaced).
   */
  public void harvestBarrier() {
    mmuLock.writeLock().lock();
    mmuLock.writeLock().unlock();
  }

  /**
   * Excludes fault handlers and PTE replacements (KVM: {@code write_lock(&kvm->mmu_lock)}) while the
   * dirty log takes bitmap words and write-protects their pages. vCPU stores through valid
   * translations (and the hardware's AF/DBM updates) are not blocked. Pair with {@link
   * #unlockAfterHarvest} in a finally block.
   */
  public void lockForHarvest() {
    mmuLock.writeLock().lock();
  }

  public void unlockAfterHarvest() {
    mmuLock.writeLock().unlock();
  }

  /** Splits every 2 MiB block in {@code [start, end)} into pages that keep its permissions. */
  public long splitBlocks(long startGfn, long endGfn) {
    SplitVisitor v = new SplitVisitor(0, 0);
    pt.walk(startGfn, endGfn, v);
    blockSplits.add(v.splits);
    return v.splits;
  }

  /**
   * Write-protects {@code [start, end)} (dirty-log enable); with {@code dbm} writable pages become
   * DBM + read-only. Returns leaves visited. Caller invalidates.
   */
  public long writeProtect(long startGfn, long endGfn, boolean dbm) {
    WriteProtectVisitor v = new WriteProtectVisitor(dbm);
    pt.walk(startGfn, endGfn, v);
    return v.visited;
  }

  /**
   * Write-protects the pages of {@code [start, end)} whose bit is set in {@code mask} (bit of gfn
   * {@code maskBaseGfn + k} is bit {@code k & 63} of word {@code k >>> 6}); with {@code dbm} pages
   * get DBM. Splits blocks holding masked pages. Returns masked pages visited. Caller invalidates.
   */
  public long writeProtectMask(
      long[] mask, long maskBaseGfn, long startGfn, long endGfn, boolean dbm) {
    MaskWriteProtectVisitor v = new MaskWriteProtectVisitor(mask, maskBaseGfn, dbm);
    pt.walk(startGfn, endGfn, v);
    blockSplits.add(v.splits);
    return v.visited;
  }

  /**
   * Write-protects the pages {@code firstGfn + k} for every bit k set in {@code mask}, where
   * {@code firstGfn} is 64-aligned (one word of a dirty bitmap; its 64 pages share one leaf table)
   * and {@code endGfn} clips the range. With {@code dbm} writable pages get DBM. One lookup per
   * word, then one CAS per page: O(dirty pages). A block holding the pages is split first.
   * Returns pages visited. Caller invalidates.
   */
  public long writeProtectWord(long firstGfn, long mask, long endGfn, boolean dbm) {
    if (mask == 0) return 0;
    long packed = pt.lookup(firstGfn);
    if (Stage2PageTable.lookupLevel(packed) != 3) {
      return writeProtectMask(new long[] {mask}, firstGfn, firstGfn, Math.min(firstGfn + 64, endGfn), dbm);
    }
    int index0 = Stage2PageTable.lookupIndex(packed);
    long m = mask;
    long n = 0;
    while (m != 0) {
      int k = Long.numberOfTrailingZeros(m);
      m &= m - 1;
      writeProtectEntry(index0 + k, dbm);
      n++;
    }
    return n;
  }

  /**
   * Clears S2AP[1] of a valid page by CAS; with {@code dbm} a writable page keeps/gets DBM (the
   * require mask includes the write bit: a read-only PTE, e.g. ROM, never gets DBM here).
   */
  void writeProtectEntry(int index, boolean dbm) {
    pt.update(index, VALID | TABLE_OR_PAGE | S2AP_WRITE, S2AP_WRITE, dbm ? DBM : 0);
  }

  /**
   * Sets DBM on every valid page of the 64-page group starting at the 64-aligned {@code firstGfn}
   * (clipped to {@code endGfn}), writable or not (the combined SW/HW mode arms a neighbourhood on a
   * write fault). The caller guarantees the range lies in a writable slot (only writable PTEs get
   * DBM). One lookup, then one CAS per page; a group still inside a block is left alone (its write
   * faults split it first). Returns pages armed. No invalidation needed: setting DBM only lets the
   * hardware do what a fault would have done.
   */
  public long armDbmWord(long firstGfn, long endGfn) {
    long packed = pt.lookup(firstGfn);
    if (Stage2PageTable.lookupLevel(packed) != 3) return 0;
    int index0 = Stage2PageTable.lookupIndex(packed);
    int n = (int) Math.min(64, endGfn - firstGfn);
    long armed = 0;
    for (int k = 0; k < n; k++) {
      long old = pt.update(index0 + k, VALID | TABLE_OR_PAGE, 0, DBM);
      if ((old & (VALID | TABLE_OR_PAGE)) == (VALID | TABLE_OR_PAGE) && (old & DBM) == 0) armed++;
    }
    return armed;
  }

  /** Dirty-log disable: every leaf writable again, DBM cleared. No invalidation needed. */
  public long relaxAll(long startGfn, long endGfn) {
    RelaxVisitor v = new RelaxVisitor();
    pt.walk(startGfn, endGfn, v);
    return v.visited;
  }

  // ================================================================ host operations

  /**
   * Maps every page of {@code [start, end)} now (pre-fault), clean, with the tracker's {@link
   * FaultKind#PREFAULT} attributes (writable when logging is off, with 2 MiB blocks on THP backing
   * when the tracker maps blocks; read-only, with DBM in HW mode, during logging); ROM read-only
   * without DBM. Returns pages newly mapped.
   */
  public long populate(long startGfn, long endGfn) {
    MemorySlotSpec slot = memory.slotOf(startGfn);
    if (slot == null || endGfn > slot.endGfn()) throw new IllegalArgumentException("range");
    DirtyTracker t = tracker;
    long pageAttrs = slot.readOnly() ? 0 : t.respond(FaultKind.PREFAULT).set(); // never DBM on ROM
    long blockAttrs =
        !slot.readOnly() && t.mapsBlocks() && backing == BackingPageSize.SIZE_2M ? pageAttrs : 0;
    mmuLock.readLock().lock();
    try {
      MapVisitor v = new MapVisitor(startGfn, endGfn, pageAttrs, blockAttrs);
      pt.walk(startGfn, endGfn, v);
      return v.mapped;
    } finally {
      mmuLock.readLock().unlock();
    }
  }

  /** Host page aging over {@code [start, end)}: clears AF by CAS. Returns entries made old. */
  public long mkOld(long startGfn, long endGfn) {
    MkOldVisitor v = new MkOldVisitor(broken == BrokenVariant.AF_CLEAR_PLAIN_STORE);
    pt.walk(startGfn, endGfn, v);
    return v.cleared;
  }

  /**
   * Host unmap then remap of the leaf mapping {@code gfn} (page migration, reclaim): break (the old
   * descriptor is taken atomically), save a hardware-dirty state into the log, invalidate, make
   * (map the page again, clean: read-only during logging, with the DBM it had; AF clear).
   *
   * @return false when nothing was mapped there
   */
  public boolean unmapAndRemap(long gfn) {
    if (gfn < 0 || gfn >= pt.gfnLimit()) return false;
    mmuLock.readLock().lock();
    try {
      Break b = new Break();
      if (onLeaf(null, gfn, b) == NO_LEAF) return false; // break: b.old is exactly what we removed
      FaultResponse e = tracker.respond(FaultKind.REMAP);
      if (Descriptor.isHwDirty(b.old) && broken != BrokenVariant.REPLACE_WITHOUT_SAVING_DIRTY) {
        long n = 1L << Stage2PageTable.shiftOf(b.level);
        long first = gfn & -n;
        for (long g = first; g < first + n; g++) e.record(DirtyPageRecorder.HOST, g); // save first
      }
      invalidateAll();
      long fresh = (b.old & ~(AF | e.clear())) | e.set();
      pt.compareAndSet(b.index, 0L, fresh); // make (a racing fault may have mapped it already)
      return true;
    } finally {
      mmuLock.readLock().unlock();
    }
  }

  /** Step of {@link #unmapAndRemap}: take the leaf away by CAS, keeping what was there. */
  private final class Break implements LeafStep {
    long old;
    int level;
    int index;

    @Override
    public long apply(VcpuContext c, long gfn, int lvl, int idx, long d) {
      if (!pt.compareAndSet(idx, d, 0L)) return RETRY;
      old = d;
      level = lvl;
      index = idx;
      return DONE;
    }
  }

  /**
   * Host split of the 2 MiB block mapping {@code gfn} (THP split): pages keep the block's
   * attributes, so a hardware-dirty block becomes 512 hardware-dirty pages that the next scan
   * collects. Returns false when no block maps gfn.
   */
  public boolean splitBlockAt(long gfn) {
    mmuLock.readLock().lock();
    try {
      long packed = pt.lookup(gfn);
      int level = Stage2PageTable.lookupLevel(packed);
      int index = Stage2PageTable.lookupIndex(packed);
      if (level != 2 || !Descriptor.isBlock(pt.get(index), 2)) return false;
      // BROKEN variant: the pages come out write-protected, the block's dirty state dropped.
      long clear = broken == BrokenVariant.SPLIT_DROPS_DIRTY ? S2AP_WRITE : 0;
      if (!pt.splitBlock(index, clear, 0)) return false;
      blockSplits.increment();
    } finally {
      mmuLock.readLock().unlock();
    }
    invalidateAll();
    return true;
  }

  /** The descriptor translating gfn and its level, for tests: {@code (level << 32) | index}. */
  public long lookup(long gfn) {
    return pt.lookup(gfn);
  }

  public long leafDescriptor(long gfn) {
    return pt.get(Stage2PageTable.lookupIndex(pt.lookup(gfn)));
  }

  // ================================================================ counters

  public MmuCounters counters() {
    return new MmuCounters(
        translationFaults.sum(),
        permissionFaults.sum(),
        accessFaults.sum(),
        hardwareDirtySets.sum(),
        tlb.invalidations(),
        kicks.sum(),
        blockSplits.sum(),
        droppedStores.sum());
  }

  public long accessFaults() {
    return accessFaults.sum();
  }

  public long blockSplits() {
    return blockSplits.sum();
  }

  public long droppedStores() {
    return droppedStores.sum();
  }

  /** FEAT_HDBSS buffer-full exits taken by stores. */
  public long bufferFullExits() {
    return bufferFullExits.sum();
  }
}
