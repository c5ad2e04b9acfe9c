package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.MachineCounters;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.testing.MapGuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

/**
 * A scripted VM for controller tests: the "guest" writes only inside a dirty-log sync (so the sync
 * that collects a write is the one that made it, which keeps everything deterministic); {@code
 * dirtyPerSync} says how many pages each sync (by index, from 0) finds dirty. A sync costs 1 ms of
 * fake time; a hardware sync visits every RAM PTE, a software one only the dirty pages.
 */
final class FakeVm implements VirtualMachine {
  static final int ROM_PAGES = 16;
  static final int RAM_PAGES = 2048;

  final MapGuestMemory memory =
      new MapGuestMemory(
          List.of(
              new MemorySlotSpec(0, "rom", 0, ROM_PAGES, true),
              new MemorySlotSpec(1, "ram", VmSpec.RAM_BASE_GFN, RAM_PAGES, false)));
  final FakeDirtyLog dirtyLog;
  final FakeClock clock;
  final AtomicLong stores = new AtomicLong();
  final List<Integer> throttles = new ArrayList<>();
  int resumes;
  int pauses;
  boolean running;
  boolean closed;

  FakeVm(FakeClock clock, IntUnaryOperator dirtyPerSync) {
    this.clock = clock;
    this.dirtyLog = new FakeDirtyLog(dirtyPerSync);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (int i = 0; i < ROM_PAGES; i++) {
      page[0] = (byte) (i + 1);
      memory.writePage(i, page, 0);
    }
    for (int i = 0; i < RAM_PAGES; i += 3) { // a third non-zero, the rest never written
      page[0] = (byte) i;
      page[1] = 42;
      memory.writePage(VmSpec.RAM_BASE_GFN + i, page, 0);
    }
  }

  final class FakeDirtyLog implements DirtyLog {
    final IntUnaryOperator dirtyPerSync;
    DirtyLogMode mode = DirtyLogMode.OFF;
    int syncs;
    int enables;
    int disables;
    boolean failDisable;
    final List<SyncStats> history = new ArrayList<>();

    FakeDirtyLog(IntUnaryOperator dirtyPerSync) {
      this.dirtyPerSync = dirtyPerSync;
    }

    @Override
    public void enable(DirtyLogMode m, DirtyLogOptions options) {
      mode = m;
      enables++;
    }

    @Override
    public DirtyLogMode mode() {
      return mode;
    }

    @Override
    public SyncStats sync(long[] bitmap) {
      if (mode == DirtyLogMode.OFF) throw new IllegalStateException("dirty log off");
      return harvest(bitmap, mode);
    }

    private SyncStats harvest(long[] bitmap, DirtyLogMode as) {
      int n = Math.min(RAM_PAGES, dirtyPerSync.applyAsInt(syncs));
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      long newly = 0;
      for (int i = 0; i < n; i++) {
        long gfn = VmSpec.RAM_BASE_GFN + ((syncs * 7919L + i * 13L) % RAM_PAGES);
        page[0] = (byte) syncs;
        page[2] = (byte) i;
        memory.writePage(gfn, page, 0);
        int w = (int) (gfn >>> 6);
        long bit = 1L << (gfn & 63);
        if ((bitmap[w] & bit) == 0) newly++;
        bitmap[w] |= bit;
      }
      stores.addAndGet(n);
      syncs++;
      clock.advance(1_000_000);
      SyncStats s = new SyncStats(as, newly, as == DirtyLogMode.HW ? RAM_PAGES : newly, 1_000_000, as == DirtyLogMode.HW ? 2 : 1);
      history.add(s);
      return s;
    }

    @Override
    public SyncStats switchToSoftware(long[] bitmap) {
      if (mode != DirtyLogMode.HW) return new SyncStats(mode, 0, 0, 0, 1);
      SyncStats s = harvest(bitmap, DirtyLogMode.HW);
      mode = DirtyLogMode.SW;
      return s;
    }

    @Override
    public void disable() {
      disables++;
      if (failDisable) throw new IllegalStateException("test: disable fails");
      mode = DirtyLogMode.OFF;
    }

    @Override
    public void setScanThreads(int threads) {}
  }

  @Override
  public GuestMemory memory() {
    return memory;
  }

  @Override
  public DirtyLog dirtyLog() {
    return dirtyLog;
  }

  @Override
  public int vcpuCount() {
    return 1;
  }

  @Override
  public BackingPageSize backing() {
    return BackingPageSize.SIZE_4K;
  }

  @Override
  public synchronized void resume() {
    if (running) throw new IllegalStateException("resumed twice");
    running = true;
    resumes++;
  }

  @Override
  public synchronized void pause() {
    running = false;
    pauses++;
  }

  @Override
  public synchronized boolean isRunning() {
    return running;
  }

  @Override
  public List<VcpuSnapshot> captureVcpuStates() {
    if (isRunning()) throw new IllegalStateException("capture needs a paused VM");
    return List.of(new VcpuSnapshot(0, 7, new long[31], "random", new byte[] {1}, stores.get()));
  }

  @Override
  public void restoreVcpuStates(List<VcpuSnapshot> states) {}

  @Override
  public long storesRetired() {
    return stores.get();
  }

  @Override
  public long bytesWritten() {
    return stores.get() * 8;
  }

  @Override
  public synchronized void setThrottlePercent(int percent) {
    throttles.add(percent);
  }

  @Override
  public MachineCounters counters() {
    return new MachineCounters(0, 0, 0, 0, 0);
  }

  @Override
  public void close() {
    closed = true;
  }
}
