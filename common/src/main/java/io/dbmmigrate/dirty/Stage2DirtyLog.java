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

/**
 * The dirty log of one VM over its stage-2 MMU: one {@link DirtyBitmap} per writable slot, and the
 * modes SW (write-protect + permission fault), HW (DBM + parallel PTE scan), the switch HW → SW,
 * and manual clear.
 *
 * <h2>Harvest recipe (sync)</h2>
 *
 * <ol>
 *   <li>HW only: scan every leaf PTE of the writable slots in parallel; a hardware-dirty PTE (DBM
 *       and writable) is recorded in the caller's bitmap, then its write bit is cleared by CAS (a
 *       hardware-dirty 2 MiB block: its 512 pages, then the block's write bit).
 *   <li>Take the MMU lock exclusively (KVM: mmu_lock for write): no fault handler or PTE
 *       replacement runs, and every replacement that erased a hardware-dirty PTE before the scan
 *       could see it has recorded the page in the log bitmap.
 *   <li>Take the log bitmap words (getAndSet 0): pages logged by permission faults (SW) or saved
 *       by replacements; OR them into the caller's bitmap and write-protect those pages; release
 *       the lock. Under the lock, because a fault handler records a page and then makes it
 *       writable: were it to record, lose the bit to this step and only then relax the PTE after
 *       this step's write-protect, the page would stay writable with no bit set.
 *   <li>Invalidate the TLB; it returns only when every store that used a writable translation of
 *       a reported page is visible.
 *   <li>Return. Only now may the caller copy the reported pages. A store racing with step 1 or 3
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
    this.scanner = new HwScanner(mmu.pageTable(), variant.broken);
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
    this.options = opts;
    setScanThreads(opts.scanThreads());
    for (DirtyBitmap b : bitmaps) {
      if (opts.initiallyAllSet()) b.setAll();
      else b.clearAll();
    }
    boolean hw = newMode == DirtyLogMode.HW;
    // 1. Fault handlers follow the new mode's tracker from here on (barrier inside).
    mmu.setTracker(ModeTracker.of(newMode, this));
    // 2. Eager split: blocks become pages keeping their permissions.
    if (splitPolicy == SplitPolicy.EAGER && backing == BackingPageSize.SIZE_2M) {
      for (MemorySlotSpec s : slots) mmu.splitBlocks(s.baseGfn(), s.endGfn());
    }
    // 3. HW: VTCR.HD on, kick every vCPU so it reloads VTCR.
    if (hw) {
      mmu.vtcr().set(Vtcr.HD, true);
      mmu.kickAll();
    }
    // 4. Write-protect (SW) or arm DBM (HW) on every writable PTE, then invalidate; skipped with
    //    "initially all set": pages are write-protected as they are cleared.
    if (!opts.initiallyAllSet()) {
      for (MemorySlotSpec s : slots) mmu.writeProtect(s.baseGfn(), s.endGfn(), hw);
      mmu.invalidateAll();
    }
    this.mode = newMode;
  }

  @Override
  public DirtyLogMode mode() {
    return mode;
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
    return harvest(gfnBitmap, m == DirtyLogMode.HW, m);
  }

  @Override
  public synchronized SyncStats switchToSoftware(long[] gfnBitmap) {
    DirtyLogMode m = requireEnabled();
    checkBitmap(gfnBitmap);
    if (m != DirtyLogMode.HW) return new SyncStats(DirtyLogMode.SW, 0, 0, 0, 0);
    long t0 = System.nanoTime();
    // 1. HD off; after the kick no vCPU can set a write bit by hardware any more.
    mmu.vtcr().set(Vtcr.HD, false);
    mmu.kickAll();
    // 2. Faults log in software from here on (they did in HW mode too: the log bitmap).
    mmu.setTracker(ModeTracker.of(DirtyLogMode.SW, this));
    this.mode = DirtyLogMode.SW;
    // 3. One last hardware scan harvests what the hardware marked.
    SyncStats s;
    if (options.manualClear()) {
      s = manualGet(gfnBitmap, true);
    } else {
      s = harvest(gfnBitmap, true, DirtyLogMode.HW);
    }
    return new SyncStats(DirtyLogMode.HW, s.dirtyPages(), s.ptesVisited(), System.nanoTime() - t0, s.threads());
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

  /** The recipe in the class comment; {@code scan} for HW mode and the switch. */
  private SyncStats harvest(long[] out, boolean scan, DirtyLogMode statsMode) {
    long t0 = System.nanoTime();
    long visited = 0;
    long dirty = 0;
    int threads = 1;
    long chunkPages = options.scanChunkBytes() >>> 12;
    if (scan) { // 1.
      for (MemorySlotSpec s : slots) {
        HwScanner.Result r =
            scanner.scan(s.baseGfn(), s.endGfn(), out, 0, true, scanThreads, chunkPages, true);
        visited += r.visited();
        dirty += r.dirty();
        threads = Math.max(threads, r.threads());
        lastScanProfile = r.profile();
      }
    }
    boolean dbm = statsMode == DirtyLogMode.HW && mode == DirtyLogMode.HW;
    mmu.lockForHarvest(); // 2.
    try {
      for (int i = 0; i < slots.length; i++) { // 3.
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
    } finally {
      mmu.unlockAfterHarvest();
    }
    mmu.invalidateAll(); // 4.
    return new SyncStats(statsMode, dirty, visited, System.nanoTime() - t0, threads);
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
