package io.dbmmigrate.dirty;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.mmu.DirtyTracker;
import io.dbmmigrate.mmu.DirtyPageRecorder;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.Vtcr;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The dirty log of one VM over its stage-2 MMU: one {@link DirtyBitmap} per writable slot, and the
 * modes SW (write-protect + permission fault), HW (DBM + parallel PTE scan), RING (per-vCPU rings
 * filled by faults), HDBSS (per-vCPU buffers filled by the hardware), COMBINED (faults arm DBM on
 * 64-page neighbourhoods, syncs scan those), the switch of a hardware mode → SW, and manual clear
 * (SW and HW). A second bitmap per slot holds the pages a device wrote by DMA, bypassing stage 2
 * ({@link #deviceWrote}); every mode merges it at every sync (KVM's
 * KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP for writes no vCPU made).
 *
 * <h2>Harvest recipe (sync)</h2>
 *
 * <ol>
 *   <li>HW: scan every leaf PTE of the writable slots in parallel; COMBINED: scan the PTEs of the
 *       armed 64-page neighbourhoods only ({@link DbmNeighbourhoods}); a hardware-dirty PTE (DBM
 *       and writable) is recorded in the caller's bitmap, then its write bit is cleared by CAS (a
 *       hardware-dirty 2 MiB block: its 512 pages, then the block's write bit).
 *   <li>Take the MMU lock exclusively (KVM: mmu_lock for write): no fault handler or PTE
 *       replacement runs, and every replacement that erased a hardware-dirty PTE before the scan
 *       could see it has recorded the page in the log bitmap.
 *   <li>RING, HDBSS: collect every vCPU's entries into the log bitmap and reset the rings (KVM:
 *       harvest, then KVM_RESET_DIRTY_RINGS). Under the lock for RING, because a fault handler
 *       pushes and then makes the page writable in one shared section: an entry taken between
 *       the two would be re-protected before the relax and lost after it. For HDBSS the hardware
 *       appends after its CAS, so an entry seen here belongs to a PTE already writable.
 *   <li>Take the log bitmap words (getAndSet 0): pages logged by permission faults (SW, RING,
 *       COMBINED), drained from the buffers (step 3) or saved by replacements; OR them into the
 *       caller's bitmap and write-protect those pages (HW, HDBSS: re-arm DBM); then take the
 *       device bitmap words into the caller's bitmap (nothing to protect: DMA has no stage 2;
 *       a device stores before it sets the bit, so a taken bit's store is visible); release
 *       the lock. Under the lock, because a fault handler records a page and then makes it
 *       writable: were it to record, lose the bit to this step and only then relax the PTE after
 *       this step's write-protect, the page would stay writable with no bit set.
 *   <li>Invalidate the TLB; it returns only when every store that used a writable translation of
 *       a reported page is visible.
 *   <li>Return. Only now may the caller copy the reported pages. A store racing with step 1 or 4
 *       either landed before step 4 completed (the copy sees it) or takes a fresh translation,
 *       which is read-only: it faults (SW) or sets the write bit again (HW), so the page is
 *       reported by the next sync.
 * </ol>
 *
 * <p>What the MMU's fault handlers do in each mode is not known to the MMU: enable, the switch and
 * disable install the mode's {@link ModeTracker} (fault kind → PTE edit and recorder; this log's
 * bitmap is the recorder). A new mode adds a tracker and its harvest, not a case in the MMU.
 *
 * <p>Invariants (DESIGN "Dirty logging"): only writable PTEs ever get DBM: the enable walk and
 * clear arm only PTEs that are writable, and only writable slots are logged here (ROM has no
 * bitmap and is never walked); only this harvest clears a write bit that
 * the hardware set, and it records the page before it clears; nobody stores a descriptor computed
 * from a stale read (all PTE changes are CAS); a page stored to after the sync that collected it
 * is dirty again in the next sync (steps 4-5).
 *
 * <h2>Concurrency contract</h2>
 *
 * Control operations (enable, sync, switch, get, clear, disable, setScanThreads) are serialized on
 * this object's monitor; the engine calls them from one thread anyway. {@link #markDirty} is called
 * by any thread (fault handlers, host-MM replacements) and only sets bits atomically. {@code mode}
 * is volatile for readers outside the monitor.
 */
public final class Stage2DirtyLog implements DirtyLog, DirtyPageRecorder, AutoCloseable {
  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

  private final Stage2Mmu mmu;
  private final SplitPolicy splitPolicy;
  private final BackingPageSize backing;
  private final MemorySlotSpec[] slots; // writable slots only
  private final DirtyBitmap[] bitmaps;
  private final HwScanner scanner;
  private final DirtyBitmap[] deviceBitmaps;
  private final DbmNeighbourhoods[] neighbourhoods;
  private final ScanVariant.Broken broken;
  private VcpuGfnBuffers buffers; // RING, HDBSS; replaced at enable (under the monitor)
  // The VM's tracker geometry (KVM: the dirty-ring size is fixed at VM creation, QEMU's
  // -accel kvm,dirty-ring-size; the HDBSS buffer is allocated per vCPU; the dirty limit is set
  // on the VM, QMP set-vcpu-dirty-limit). Options of an enable that differ from the defaults win.
  private int vmRingEntries = DirtyLogOptions.DEFAULT_RING_ENTRIES;
  private int vmHdbssEntries = DirtyLogOptions.DEFAULT_HDBSS_ENTRIES;
  private double vmDirtyLimitMbps;
  /**
   * DMA sections (a device's store + its device-bitmap record) hold it shared; a harvest takes it
   * exclusively around taking the device bitmap, and a pause as a barrier (QEMU: device emulation
   * and the migration bitmap sync both run under the big QEMU lock).
   */
  private final ReentrantReadWriteLock dmaLock = new ReentrantReadWriteLock();

  private volatile DirtyLogMode mode = DirtyLogMode.OFF;
  private DirtyLogOptions options = DirtyLogOptions.defaults();
  private int scanThreads = options.scanThreads();
  private ScanProfile lastScanProfile = ScanProfile.NONE;

  public Stage2DirtyLog(Stage2Mmu mmu, SplitPolicy splitPolicy) {
    this(mmu, splitPolicy, ScanVariant.CORRECT);
  }

  /** With a scan variant: only tests can obtain anything but {@link ScanVariant#CORRECT}. */
  public Stage2DirtyLog(Stage2Mmu mmu, SplitPolicy splitPolicy, ScanVariant variant) {
    this.mmu = mmu;
    this.splitPolicy = splitPolicy;
    this.backing = mmu.backing();
    List<MemorySlotSpec> writable = new ArrayList<>();
    for (MemorySlotSpec s : mmu.memory().slots()) if (!s.readOnly()) writable.add(s);
    this.slots = writable.toArray(new MemorySlotSpec[0]);
    this.bitmaps = new DirtyBitmap[slots.length];
    for (int i = 0; i < slots.length; i++) {
      bitmaps[i] = new DirtyBitmap(slots[i].baseGfn(), slots[i].pageCount());
    }
    // -Ddbm.scanSteering=false: leave the scan workers wherever the kernel puts them.
    this.scanner =
        new HwScanner(
            mmu.pageTable(), variant.broken,
            Boolean.parseBoolean(System.getProperty("dbm.scanSteering", "true")) ? CpuAffinity.load() : CpuAffinity.none());
    this.broken = variant.broken;
    this.deviceBitmaps = new DirtyBitmap[slots.length];
    this.neighbourhoods = new DbmNeighbourhoods[slots.length];
    for (int i = 0; i < slots.length; i++) {
      deviceBitmaps[i] = new DirtyBitmap(slots[i].baseGfn(), slots[i].pageCount());
      neighbourhoods[i] =
          new DbmNeighbourhoods(
              slots[i].baseGfn(), slots[i].pageCount(),
              broken == ScanVariant.Broken.COMBINED_ARMS_WITHOUT_MARKING);
    }
  }

  // ---------------------------------------------------------------- recorder (any thread)

  @Override
  public void markDirty(int vcpu, long gfn) {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i].contains(gfn)) {
        bitmaps[i].set(gfn);
        return;
      }
    }
  }

  /**
   * A device wrote page gfn by DMA (any thread), after its store: recorded in the device bitmap,
   * which every sync merges. Pages outside writable slots are ignored.
   */
  public void deviceWrote(long gfn) {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i].contains(gfn)) {
        deviceBitmaps[i].setAfterStore(gfn);
        return;
      }
    }
  }

  /**
   * One DMA write of a device: runs {@code store} (which writes guest memory and returns false if
   * it wrote nothing), then records gfn in the device bitmap, as one section that a harvest and
   * {@link #dmaBarrier} wait for.
   *
   * @return what {@code store} returned
   */
  public boolean dmaWrite(long gfn, java.util.function.BooleanSupplier store) {
    dmaLock.readLock().lock();
    try {
      if (!store.getAsBoolean()) return false;
      deviceWrote(gfn); // after the store
      return true;
    } finally {
      dmaLock.readLock().unlock();
    }
  }

  /** Returns when every DMA section that started before has finished (device quiesce at pause). */
  public void dmaBarrier() {
    dmaLock.writeLock().lock();
    dmaLock.writeLock().unlock();
  }

  /**
   * The VM's ring and HDBSS buffer sizes (entries per vCPU) and dirty limit (MB/s per vCPU, 0 =
   * off), used by an enable whose options leave them at their defaults; validated as in {@link
   * DirtyLogOptions}. A later enable picks them up.
   */
  public synchronized void setTrackerDefaults(int ringEntries, int hdbssEntries, double dirtyLimitMbps) {
    DirtyLogOptions.defaults().withBuffers(ringEntries, hdbssEntries).withDirtyLimit(dirtyLimitMbps);
    this.vmRingEntries = ringEntries;
    this.vmHdbssEntries = hdbssEntries;
    this.vmDirtyLimitMbps = dirtyLimitMbps;
  }

  /** COMBINED (fault handler): arm DBM on gfn's 64-page neighbourhood. */
  void armNeighbourhood(long gfn) {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i].contains(gfn)) {
        neighbourhoods[i].arm(mmu, gfn);
        return;
      }
    }
  }

  /**
   * RING: the ring-full exit of a vCPU (its thread, outside the store window and the MMU lock):
   * reaps every ring into the log bitmap and re-protects those pages, then invalidates (QEMU's
   * kvm_dirty_ring_reap + KVM_RESET_DIRTY_RINGS). The pages stay in the log bitmap for the next
   * sync, which write-protects them again (harmless) and reports them.
   */
  synchronized void reapRings() {
    VcpuGfnBuffers b = buffers;
    if (b == null || mode != DirtyLogMode.RING) return;
    int n;
    mmu.lockForHarvest();
    try {
      n = b.drainAll(gfn -> {
        markDirty(DirtyPageRecorder.HOST, gfn);
        protectGfn(gfn, false);
      });
    } finally {
      mmu.unlockAfterHarvest();
    }
    if (n > 0) mmu.invalidateAll();
  }

  /**
   * HDBSS: the buffer-full exit of vCPU {@code vcpu} (its thread): its entries go into the log
   * bitmap, the buffer is reset (the pages stay hardware-dirty; the next sync re-arms them).
   */
  synchronized void drainOnBufferFull(int vcpu) {
    VcpuGfnBuffers b = buffers;
    if (b == null || mode != DirtyLogMode.HDBSS) return;
    b.drain(vcpu, gfn -> markDirty(DirtyPageRecorder.HOST, gfn),
        broken == ScanVariant.Broken.HDBSS_FULL_DROPS_BUFFER);
  }

  private void protectGfn(long gfn, boolean dbm) {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i].contains(gfn)) {
        mmu.writeProtectWord(gfn & ~63L, 1L << (gfn & 63), slots[i].endGfn(), dbm);
        return;
      }
    }
  }

  /** Ring-full (RING) or buffer-full (HDBSS) exits so far; 0 in the other modes. */
  public synchronized long fullExits() {
    return buffers == null ? 0 : buffers.fullExits.sum();
  }

  /** Entries taken from the rings or HDBSS buffers so far. */
  public synchronized long bufferEntriesHarvested() {
    return buffers == null ? 0 : buffers.harvested.sum();
  }

  /** COMBINED: neighbourhoods (64 pages each) with DBM armed. */
  public long armedNeighbourhoods() {
    long n = 0;
    for (DbmNeighbourhoods d : neighbourhoods) n += d.armedGroups();
    return n;
  }

  /** The log bitmap of the writable slot containing gfn (tests). */
  DirtyBitmap bitmapOf(long gfn) {
    for (int i = 0; i < slots.length; i++) if (slots[i].contains(gfn)) return bitmaps[i];
    return null;
  }

  // ---------------------------------------------------------------- control

  @Override
  public synchronized void enable(DirtyLogMode newMode, DirtyLogOptions opts) {
    if (newMode == DirtyLogMode.OFF) throw new IllegalArgumentException("enable OFF: use disable()");
    if (mode != DirtyLogMode.OFF) throw new IllegalStateException("dirty log already enabled: " + mode);
    if (mmu.tracker() != DirtyTracker.OFF) // a write-protect snapshot holds the MMU's faults
      throw new IllegalStateException("a write-protect snapshot is being read; retry when it is done");
    if (opts.manualClear() && newMode != DirtyLogMode.SW && newMode != DirtyLogMode.HW)
      throw new IllegalArgumentException("manual dirty-log clear is for sw and hw, not " + newMode.cliName());
    if (opts.ringEntries() == DirtyLogOptions.DEFAULT_RING_ENTRIES
        && opts.hdbssEntries() == DirtyLogOptions.DEFAULT_HDBSS_ENTRIES) {
      opts = opts.withBuffers(vmRingEntries, vmHdbssEntries);
    }
    if (opts.dirtyLimitMbps() == 0) opts = opts.withDirtyLimit(vmDirtyLimitMbps);
    this.options = opts;
    setScanThreads(opts.scanThreads());
    for (DirtyBitmap b : bitmaps) {
      if (opts.initiallyAllSet()) b.setAll();
      else b.clearAll();
    }
    for (DirtyBitmap b : deviceBitmaps) b.clearAll();
    for (DbmNeighbourhoods n : neighbourhoods) n.clearAll();
    int vcpus = mmu.tlbDomain().vcpus();
    buffers =
        newMode == DirtyLogMode.RING
            ? new VcpuGfnBuffers(vcpus, opts.ringEntries(), true)
            : newMode == DirtyLogMode.HDBSS
                ? new VcpuGfnBuffers(vcpus, opts.hdbssEntries(), false)
                : null;
    boolean hw = newMode.hardware();
    // 1. Fault handlers follow the new mode's tracker from here on (barrier inside).
    mmu.setTracker(tracker(newMode));
    // 2. Eager split: blocks become pages keeping their permissions.
    if (splitPolicy == SplitPolicy.EAGER && backing == BackingPageSize.SIZE_2M) {
      for (MemorySlotSpec s : slots) mmu.splitBlocks(s.baseGfn(), s.endGfn());
    }
    // 3. HW: VTCR.HD on, kick every vCPU so it reloads VTCR.
    if (hw) {
      mmu.vtcr().set(Vtcr.HD, true);
      mmu.kickAll();
    }
    // 4. Write-protect (SW, RING, COMBINED) or arm DBM (HW, HDBSS) on every writable PTE, then
    //    invalidate; skipped with "initially all set": pages are write-protected as they are
    //    cleared.
    if (!opts.initiallyAllSet()) {
      for (MemorySlotSpec s : slots) mmu.writeProtect(s.baseGfn(), s.endGfn(), armsAll(newMode));
      mmu.invalidateAll();
    }
    this.mode = newMode;
  }

  @Override
  public DirtyLogMode mode() {
    return mode;
  }

  /** Modes that keep DBM on every writable PTE (enable arms it, harvests re-arm it). */
  private static boolean armsAll(DirtyLogMode m) {
    return m == DirtyLogMode.HW || m == DirtyLogMode.HDBSS;
  }

  private DirtyTracker tracker(DirtyLogMode m) {
    DirtyLimit limit =
        options.dirtyLimitMbps() > 0
            ? new DirtyLimit(options.dirtyLimitMbps(), mmu.tlbDomain().vcpus())
            : null;
    return ModeTracker.of(
        m, this, m == DirtyLogMode.RING || m == DirtyLogMode.HDBSS ? buffers : null, limit,
        mmu.tuning().faultCostNanos(), mmu.tlbDomain().vcpus());
  }

  /** Options of the current (or last) enable. */
  public synchronized DirtyLogOptions options() {
    return options;
  }

  @Override
  public synchronized SyncStats sync(long[] gfnBitmap) {
    DirtyLogMode m = requireEnabled();
    checkBitmap(gfnBitmap);
    if (options.manualClear()) return manualSync(gfnBitmap);
    return harvest(gfnBitmap, m, m);
  }

  @Override
  public synchronized SyncStats switchToSoftware(long[] gfnBitmap) {
    DirtyLogMode m = requireEnabled();
    checkBitmap(gfnBitmap);
    if (!m.hardware()) return new SyncStats(DirtyLogMode.SW, 0, 0, 0, 0);
    long t0 = System.nanoTime();
    // 1. HD off; after the kick no vCPU can set a write bit by hardware any more (nor append
    //    to an HDBSS buffer: every append happens before its store window closes).
    mmu.vtcr().set(Vtcr.HD, false);
    mmu.kickAll();
    // 2. Faults log in software from here on (they did in the hardware modes too: the log bitmap).
    this.mode = DirtyLogMode.SW;
    mmu.setTracker(tracker(DirtyLogMode.SW));
    // 3. One last harvest collects what the hardware marked: the full scan (HW), the armed
    //    neighbourhoods (COMBINED), the buffers (HDBSS).
    SyncStats s;
    if (options.manualClear()) {
      s = manualGet(gfnBitmap, true);
    } else {
      s = harvest(gfnBitmap, m, m);
    }
    return new SyncStats(m, s.dirtyPages(), s.ptesVisited(), System.nanoTime() - t0, s.threads());
  }

  @Override
  public synchronized void disable() {
    if (mode == DirtyLogMode.OFF) return;
    this.mode = DirtyLogMode.OFF;
    mmu.setTracker(DirtyTracker.OFF);
    if (mmu.vtcr().hd()) {
      mmu.vtcr().set(Vtcr.HD, false);
      mmu.kickAll();
    }
    for (MemorySlotSpec s : slots) mmu.relaxAll(s.baseGfn(), s.endGfn());
    for (DirtyBitmap b : bitmaps) b.clearAll();
    for (DbmNeighbourhoods n : neighbourhoods) n.clearAll();
    if (buffers != null) buffers.resetAll();
    buffers = null;
  }

  @Override
  public synchronized void setScanThreads(int threads) {
    if (threads < 1) throw new IllegalArgumentException("scan threads must be >= 1");
    this.scanThreads = threads;
    scanner.ensureThreads(threads);
  }

  /** Where the last HW scan's time went, per scan thread (the scan benchmark's diagnostic). */
  public synchronized ScanProfile lastScanProfile() {
    return lastScanProfile;
  }

  public synchronized int scanThreads() {
    return scanThreads;
  }

  @Override
  public synchronized SyncStats getDirtyLog(long[] gfnBitmap) {
    DirtyLogMode m = requireEnabled();
    requireManual();
    checkBitmap(gfnBitmap);
    return manualGet(gfnBitmap, m == DirtyLogMode.HW && mmu.vtcr().hd());
  }

  @Override
  public synchronized SyncStats clearDirtyLog(long[] gfnMask) {
    DirtyLogMode m = requireEnabled();
    requireManual();
    checkBitmap(gfnMask);
    long t0 = System.nanoTime();
    boolean dbm = m == DirtyLogMode.HW;
    long visited = 0;
    long cleared = 0;
    mmu.lockForHarvest(); // 1. no fault handler between "record" and "make writable"
    try {
      for (int i = 0; i < slots.length; i++) {
        DirtyBitmap b = bitmaps[i];
        for (int w = 0; w < b.wordCount(); w++) {
          long m64 = (long) WORDS.getOpaque(gfnMask, b.globalWord(w)) & b.validMask(w);
          if (m64 == 0) continue;
          long old = b.clearBits(w, m64); // 2. clear the log bits first ...
          cleared += Long.bitCount(old & m64);
          visited += writeProtectWord(i, w, m64, dbm); // 3. ... then write-protect
        }
      }
    } finally {
      mmu.unlockAfterHarvest();
    }
    mmu.invalidateAll(); // 4. stores through old writable translations are visible
    return new SyncStats(m, cleared, visited, System.nanoTime() - t0, 1);
  }

  // ---------------------------------------------------------------- harvest paths

  /**
   * The recipe in the class comment; {@code collect} is the mode whose hardware state is
   * collected (the previous mode on a switch).
   */
  private SyncStats harvest(long[] out, DirtyLogMode collect, DirtyLogMode statsMode) {
    long t0 = System.nanoTime();
    long visited = 0;
    long dirty = 0;
    int threads = 1;
    long chunkPages = options.scanChunkBytes() >>> 12;
    boolean scan = collect == DirtyLogMode.HW;
    if (collect == DirtyLogMode.COMBINED) { // 1. (armed neighbourhoods only)
      long[] counts = new long[2];
      for (DbmNeighbourhoods n : neighbourhoods) n.scan(mmu.pageTable(), out, counts);
      visited += counts[0];
      dirty += counts[1];
      scan = true; // pages also in the log bitmap were counted here already
    }
    if (collect == DirtyLogMode.HW) { // 1.
      for (MemorySlotSpec s : slots) {
        HwScanner.Result r =
            scanner.scan(s.baseGfn(), s.endGfn(), out, 0, true, scanThreads, chunkPages, true);
        visited += r.visited();
        dirty += r.dirty();
        threads = Math.max(threads, r.threads());
        lastScanProfile = r.profile();
      }
    }
    boolean dbm = armsAll(mode); // re-arm only while still in HW or HDBSS (not after a switch)
    mmu.lockForHarvest(); // 2.
    try {
      VcpuGfnBuffers b0 = buffers;
      if (b0 != null) { // 3. (RING, HDBSS, and the switch from HDBSS)
        if (broken == ScanVariant.Broken.RING_RESET_WITHOUT_REPROTECT) {
          long[] d = new long[1];
          visited += b0.drainAll(gfn -> { // BROKEN: reported, reset, not re-protected
            long old = (long) WORDS.getAndBitwiseOr(out, (int) (gfn >>> 6), 1L << (gfn & 63));
            if ((old & (1L << (gfn & 63))) == 0) d[0]++;
          });
          dirty += d[0];
        } else {
          visited += b0.drainAll(gfn -> markDirty(DirtyPageRecorder.HOST, gfn));
        }
      }
      for (int i = 0; i < slots.length; i++) { // 4.
        DirtyBitmap b = bitmaps[i];
        for (int w = 0; w < b.wordCount(); w++) {
          if (b.word(w) == 0) continue;
          long taken = b.takeWord(w);
          if (taken == 0) continue;
          long old = (long) WORDS.getAndBitwiseOr(out, b.globalWord(w), taken);
          dirty += scan ? Long.bitCount(taken & ~old) : Long.bitCount(taken);
          visited += writeProtectWord(i, w, taken, dbm);
        }
      }
      if (broken != ScanVariant.Broken.FORGETS_DEVICE_BITMAP) dirty += takeDeviceBits(out); // 4.
    } finally {
      mmu.unlockAfterHarvest();
    }
    mmu.invalidateAll(); // 5.
    return new SyncStats(statsMode, dirty, visited, System.nanoTime() - t0, threads);
  }

  /** ORs the device bitmaps into out (taking them); returns pages newly set in out. */
  private long takeDeviceBits(long[] out) {
    dmaLock.writeLock().lock(); // every DMA that stored has recorded its page
    try {
      return takeDeviceBitsLocked(out);
    } finally {
      dmaLock.writeLock().unlock();
    }
  }

  private long takeDeviceBitsLocked(long[] out) {
    long n = 0;
    for (DirtyBitmap d : deviceBitmaps) {
      for (int w = 0; w < d.wordCount(); w++) {
        if (d.word(w) == 0) continue;
        long taken = d.takeWord(w);
        long old = (long) WORDS.getAndBitwiseOr(out, d.globalWord(w), taken);
        n += Long.bitCount(taken & ~old);
      }
    }
    return n;
  }

  private long writeProtectWord(int slot, int w, long mask, boolean dbm) {
    long first = slots[slot].baseGfn() + ((long) w << 6);
    return mmu.writeProtectWord(first, mask, slots[slot].endGfn(), dbm);
  }

  /** Manual get: HW scan without clearing into the log bitmaps, then copy them out. */
  private SyncStats manualGet(long[] out, boolean scan) {
    long t0 = System.nanoTime();
    long visited = 0;
    int threads = 1;
    long chunkPages = options.scanChunkBytes() >>> 12;
    if (scan) {
      for (int i = 0; i < slots.length; i++) {
        MemorySlotSpec s = slots[i];
        HwScanner.Result r =
            scanner.scan(
                s.baseGfn(), s.endGfn(), bitmaps[i].words(), s.baseGfn(), false, scanThreads,
                chunkPages, false);
        visited += r.visited();
        threads = Math.max(threads, r.threads());
      }
    }
    mmu.harvestBarrier();
    if (broken != ScanVariant.Broken.FORGETS_DEVICE_BITMAP) takeDeviceBits(out);
    long dirty = 0;
    for (DirtyBitmap b : bitmaps) {
      for (int w = 0; w < b.wordCount(); w++) {
        long v = b.word(w);
        if (v == 0) continue;
        WORDS.getAndBitwiseOr(out, b.globalWord(w), v);
        dirty += Long.bitCount(v);
      }
    }
    if (!scan) visited = dirty;
    return new SyncStats(mode, dirty, visited, System.nanoTime() - t0, threads);
  }

  /** sync() in manual mode: get, then clear exactly what was got. */
  private SyncStats manualSync(long[] out) {
    long t0 = System.nanoTime();
    long[] got = new long[out.length];
    SyncStats g = manualGet(got, mode == DirtyLogMode.HW && mmu.vtcr().hd());
    SyncStats c = clearDirtyLog(got);
    for (int w = 0; w < got.length; w++) if (got[w] != 0) WORDS.getAndBitwiseOr(out, w, got[w]);
    return new SyncStats(
        mode, g.dirtyPages(), g.ptesVisited() + c.ptesVisited(), System.nanoTime() - t0, g.threads());
  }

  private DirtyLogMode requireEnabled() {
    DirtyLogMode m = mode;
    if (m == DirtyLogMode.OFF) throw new IllegalStateException("dirty log is not enabled");
    return m;
  }

  private void requireManual() {
    if (!options.manualClear())
      throw new IllegalStateException("getDirtyLog/clearDirtyLog need DirtyLogOptions.manualClear");
  }

  private void checkBitmap(long[] bm) {
    long need = (mmu.memory().gfnLimit() + 63) >>> 6;
    if (bm.length < need)
      throw new IllegalArgumentException("gfn bitmap has " + bm.length + " words, needs " + need);
  }

  @Override
  public void close() {
    scanner.close();
  }
}
