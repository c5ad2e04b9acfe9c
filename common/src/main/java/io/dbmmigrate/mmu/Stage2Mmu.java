package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.AF;
import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;
import static io.dbmmigrate.mmu.Descriptor.VALID;

import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.machine.BackingPageSize;
import io.dbmmigrate.machine.ChunkedGuestMemory;
import io.dbmmigrate.machine.MachineCounters;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.MemorySlotSpec;
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
 *       the TLB; otherwise → permission fault.
 *   <li>Store the 8 bytes, close the window (release). A fault closes the window first; the
 *       handler runs outside it (so an invalidation never waits for a handler), then the store is
 *       retried.
 * </ol>
 *
 * <h2>Concurrency contract</h2>
 *
 * <ul>
 *   <li>PTE bits: see {@link Stage2PageTable}. Every change is a CAS or getAndSet.
 *   <li>{@code mmuLock} (read/write, like KVM's {@code mmu_lock}): fault handlers and host
 *       replacements (unmap/remap, split) hold it shared; a handler's "record, then make
 *       writable" is one shared section. The dirty log takes it exclusively: (a) as a barrier after
 *       switching the logging mode, so that no fault handler still maps with the old mode's
 *       attributes; (b) around "take the log bitmap, write-protect those pages" ({@link
 *       #lockForHarvest}), so that no handler can record a page, lose its bit to the harvest and
 *       then make the page writable behind the harvest's write-protect (the page would stay
 *       writable with no bit: every later store lost); this also makes every replacement that
 *       erased a hardware-dirty PTE before the scan saw it record the page first.
 *   <li>{@code loggingMode} and {@code recorder}: volatile, written by the dirty log's control
 *       thread before the barrier (a), read by fault handlers under the shared lock.
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

  private final Stage2PageTable pt;
  private final ChunkedGuestMemory memory;
  private final TlbDomain tlb;
  private final Vtcr vtcr;
  private final MachineTuning tuning;
  private final BackingPageSize backing;
  private final BrokenVariant broken;
  private final ReentrantReadWriteLock mmuLock = new ReentrantReadWriteLock();

  private volatile DirtyLogMode loggingMode = DirtyLogMode.OFF;
  private volatile DirtyPageRecorder recorder = gfn -> {};

  private final LongAdder translationFaults = new LongAdder();
  private final LongAdder permissionFaults = new LongAdder();
  private final LongAdder accessFaults = new LongAdder();
  private final LongAdder hardwareDirtySets = new LongAdder();
  private final LongAdder kicks = new LongAdder();
  private final LongAdder blockSplits = new LongAdder();
  private final LongAdder droppedStores = new LongAdder();

  public Stage2Mmu(
      ChunkedGuestMemory memory, int vcpus, MachineTuning tuning, BackingPageSize backing) {
    this(memory, vcpus, tuning, backing, MmuVariant.CORRECT);
  }

  public Stage2Mmu(
      ChunkedGuestMemory memory,
      int vcpus,
      MachineTuning tuning,
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

  public MachineTuning tuning() {
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
    long packed = pt.lookup(gfn);
    int level = Stage2PageTable.lookupLevel(packed);
    int index = Stage2PageTable.lookupIndex(packed);
    while (true) {
      long d = pt.get(index);
      if (!Descriptor.isLeaf(d, level)) {
        if (!Descriptor.isTable(d, level)) return TRANSLATION_FAULT;
        packed = pt.lookup(gfn); // split under us: walk again
        level = Stage2PageTable.lookupLevel(packed);
        index = Stage2PageTable.lookupIndex(packed);
        continue;
      }
      if ((d & AF) == 0) {
        if (!c.ha) return ACCESS_FAULT;
        if (!pt.compareAndSet(index, d, d | AF)) continue; // hardware AF update, atomic
        d |= AF;
      }
      if ((d & S2AP_WRITE) != 0) {
        c.tlbFill(gfn);
        return OK;
      }
      if (c.hd && (d & DBM) != 0) {
        // Hardware dirty-state update: S2AP[1] set atomically instead of a permission fault.
        if (!pt.compareAndSet(index, d, d | S2AP_WRITE)) continue;
        hardwareDirtySets.increment();
        c.tlbFill(gfn);
        return OK;
      }
      return PERMISSION_FAULT;
    }
  }

  // ================================================================ fault handlers

  /** Outside the store window. Returns false when the store is to be dropped. */
  private boolean handleFault(VcpuContext c, long gfn, int kind) {
    c.debtNanos += tuning.faultCostNanos();
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
          mapOnFault(gfn, slot);
          return true;
        case ACCESS_FAULT:
          accessFaults.increment();
          mkYoung(gfn);
          return true;
        default:
          if (slot.readOnly()) {
            droppedStores.increment();
            return false;
          }
          permissionFaults.increment();
          permissionFault(gfn);
          return true;
      }
    } finally {
      mmuLock.readLock().unlock();
    }
  }

  /**
   * Translation fault on a write: map the page. Logging off and THP backing → a 2 MiB block.
   * During logging the page is being written, so it is mapped dirty: SW records it and maps it
   * writable; HW maps it writable with DBM (hardware dirty, the next scan collects it).
   */
  private void mapOnFault(long gfn, MemorySlotSpec slot) {
    DirtyLogMode mode = loggingMode;
    if (slot.readOnly()) {
      mapPage(gfn, 0); // ROM: read-only and never DBM, so the hardware can never make it writable
      return;
    }
    if (mode == DirtyLogMode.OFF && backing == BackingPageSize.SIZE_2M) {
      long blockGfn = gfn & ~(long) (Stage2PageTable.ENTRIES - 1);
      if (slot.contains(blockGfn) && slot.contains(blockGfn + Stage2PageTable.ENTRIES - 1)) {
        int l2 = pt.ensureLevel2Entry(gfn);
        if (l2 >= 0) {
          long d = pt.get(l2);
          if (!Descriptor.isValid(d)) {
            pt.compareAndSet(l2, d, Descriptor.block(blockGfn, S2AP_WRITE));
            return;
          }
          if (!Descriptor.isTable(d, 2)) return; // a block is there already
        }
      }
    }
    long attrs;
    if (mode == DirtyLogMode.OFF) {
      attrs = S2AP_WRITE;
    } else if (mode == DirtyLogMode.HW) {
      attrs = S2AP_WRITE | DBM;
    } else {
      recorder.markDirty(gfn); // record before the PTE becomes writable
      attrs = S2AP_WRITE;
    }
    mapPage(gfn, attrs);
  }

  private void mapPage(long gfn, long attrs) {
    int base = pt.ensureLeafTable(gfn);
    if (base < 0) return; // a block maps it: the retry will see it
    int index = base + (int) (gfn & (Stage2PageTable.ENTRIES - 1));
    long d = pt.get(index);
    if (!Descriptor.isValid(d)) pt.compareAndSet(index, d, Descriptor.page(gfn, attrs));
  }

  private void mkYoung(long gfn) {
    long packed = pt.lookup(gfn);
    pt.update(Stage2PageTable.lookupIndex(packed), VALID, 0, AF);
  }

  /** Permission fault on a writable slot (KVM: user_mem_abort with a write fault). */
  private void permissionFault(long gfn) {
    while (true) {
      long packed = pt.lookup(gfn);
      int level = Stage2PageTable.lookupLevel(packed);
      int index = Stage2PageTable.lookupIndex(packed);
      long d = pt.get(index);
      if (!Descriptor.isLeaf(d, level)) {
        if (Descriptor.isTable(d, level)) continue;
        return; // unmapped meanwhile: the retry takes a translation fault
      }
      if ((d & S2AP_WRITE) != 0) return; // relaxed meanwhile
      DirtyLogMode mode = loggingMode;
      if (level < 3) {
        if (mode != DirtyLogMode.OFF && level == 2) {
          if (pt.splitBlock(index, S2AP_WRITE, mode == DirtyLogMode.HW ? DBM : 0)) {
            blockSplits.increment();
          }
          continue; // now handle the page
        }
        pt.update(index, VALID, 0, S2AP_WRITE);
        return;
      }
      if (mode != DirtyLogMode.OFF) recorder.markDirty(gfn); // record first, then relax
      pt.update(index, VALID | TABLE_OR_PAGE, 0, S2AP_WRITE);
      return;
    }
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
   * Sets the logging mode the fault handlers follow and where they record, then waits (barrier on
   * {@code mmuLock}) until no handler still runs with the previous mode.
   */
  public void setLogging(DirtyLogMode mode, DirtyPageRecorder rec) {
    this.recorder = rec;
    this.loggingMode = mode;
    harvestBarrier();
  }

  public DirtyLogMode loggingMode() {
    return loggingMode;
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
    long set = dbm ? DBM : 0;
    MaskWriteProtectVisitor v = new MaskWriteProtectVisitor(mask, maskBaseGfn, dbm, S2AP_WRITE, set);
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

  /** Dirty-log disable: every leaf writable again, DBM cleared. No invalidation needed. */
  public long relaxAll(long startGfn, long endGfn) {
    RelaxVisitor v = new RelaxVisitor();
    pt.walk(startGfn, endGfn, v);
    return v.visited;
  }

  // ================================================================ host operations

  /**
   * Maps every page of {@code [start, end)} now (pre-fault), with the attributes a write fault in
   * the current mode would give, but clean: writable when logging is off (2 MiB blocks with THP
   * backing), read-only (+DBM in HW mode) during logging. Returns pages newly mapped.
   */
  public long populate(long startGfn, long endGfn) {
    MemorySlotSpec slot = memory.slotOf(startGfn);
    if (slot == null || endGfn > slot.endGfn()) throw new IllegalArgumentException("range");
    DirtyLogMode mode = loggingMode;
    long pageAttrs;
    if (slot.readOnly()) pageAttrs = 0; // never DBM on ROM
    else if (mode == DirtyLogMode.OFF) pageAttrs = S2AP_WRITE;
    else pageAttrs = mode == DirtyLogMode.HW ? DBM : 0;
    long blockAttrs =
        !slot.readOnly() && mode == DirtyLogMode.OFF && backing == BackingPageSize.SIZE_2M
            ? S2AP_WRITE
            : 0;
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
    mmuLock.readLock().lock();
    try {
      long old;
      int level;
      int index;
      while (true) {
        long packed = pt.lookup(gfn);
        level = Stage2PageTable.lookupLevel(packed);
        index = Stage2PageTable.lookupIndex(packed);
        old = pt.get(index);
        if (!Descriptor.isLeaf(old, level)) {
          if (Descriptor.isTable(old, level)) continue; // split meanwhile
          return false;
        }
        if (pt.compareAndSet(index, old, 0L)) break; // break: old is exactly what we removed
      }
      if (Descriptor.isHwDirty(old) && broken != BrokenVariant.REPLACE_WITHOUT_SAVING_DIRTY) {
        long first = gfn & -(1L << Stage2PageTable.shiftOf(level));
        long n = 1L << Stage2PageTable.shiftOf(level);
        DirtyPageRecorder rec = recorder;
        for (long g = first; g < first + n; g++) rec.markDirty(g); // save before anyone harvests
      }
      invalidateAll();
      long fresh = old & ~AF;
      if (loggingMode != DirtyLogMode.OFF) fresh &= ~S2AP_WRITE;
      pt.compareAndSet(index, 0L, fresh); // make (a racing fault may have mapped it already)
      return true;
    } finally {
      mmuLock.readLock().unlock();
    }
  }

  /**
   * Host split of the 2 MiB block mapping {@code gfn} (THP split): pages keep the block's
   * attributes. Returns false when no block maps gfn.
   */
  public boolean splitBlockAt(long gfn) {
    mmuLock.readLock().lock();
    try {
      long packed = pt.lookup(gfn);
      int level = Stage2PageTable.lookupLevel(packed);
      int index = Stage2PageTable.lookupIndex(packed);
      if (level != 2 || !Descriptor.isBlock(pt.get(index), 2)) return false;
      if (!pt.splitBlock(index, 0, 0)) return false;
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

  public MachineCounters counters() {
    return new MachineCounters(
        translationFaults.sum(),
        permissionFaults.sum(),
        hardwareDirtySets.sum(),
        tlb.invalidations(),
        kicks.sum());
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
}
