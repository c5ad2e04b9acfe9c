package io.dbmmigrate.machine;

import io.dbmmigrate.digest.ChunkLayout;
import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.memory.MemorySlotSpec;

import io.dbmmigrate.memory.ChunkedGuestMemory;

import io.dbmmigrate.memory.GuestMemory;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.snapshot.SnapshotVariant;
import io.dbmmigrate.snapshot.WriteProtectSnapshot;
import io.dbmmigrate.dirty.Stage2DirtyLog;
import io.dbmmigrate.hostmm.HostMmEvents;
import io.dbmmigrate.dirty.ScanVariant;
import io.dbmmigrate.mmu.MmuCounters;
import io.dbmmigrate.mmu.MmuVariant;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.util.SplitMix64;
import io.dbmmigrate.vcpu.StorePattern;
import io.dbmmigrate.vcpu.Vcpu;
import io.dbmmigrate.vcpu.VcpuControl;
import io.dbmmigrate.vcpu.Workload;
import io.dbmmigrate.vcpu.WorkloadFactory;
import io.dbmmigrate.vcpu.WorkloadSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated VM: {@link ChunkedGuestMemory} behind a {@link Stage2Mmu}, one {@link Vcpu} thread
 * per vCPU, a {@link Stage2DirtyLog} and the host-MM event generator.
 *
 * <p>Concurrency: lifecycle methods are synchronized on this object; vCPU run state is handed off
 * through {@link VcpuControl}. vCPU threads start at the first {@link #resume()}; host-MM events
 * start then too and run until {@link #close()}.
 */
public final class SimulatedVm implements VirtualMachine {
  private final VmSpec spec;
  private final ChunkedGuestMemory memory;
  private final Stage2Mmu mmu;
  private final Stage2DirtyLog dirtyLog;
  private final VcpuControl control = new VcpuControl();
  private final List<Vcpu> vcpus = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final HostMmEvents hostMm;
  private final MemorySlotSpec ram;
  private final WorkloadFactory workloads;
  private final DmaDevice device; // null: no device writes
  private boolean closed;

  SimulatedVm(
      VmSpec spec, StorePattern pattern, MmuVariant variant, ScanVariant scanVariant,
      WorkloadFactory workloads, double deviceWriteMbps, ChunkedGuestMemory fresh) {
    this.spec = spec;
    this.workloads = workloads;
    this.memory = fresh == null ? new ChunkedGuestMemory(spec.slots()) : fresh;
    MachineTuning t = spec.tuning();
    this.mmu = new Stage2Mmu(memory, spec.vcpuCount(), t.mmuTuning(), spec.backing(), variant);
    this.dirtyLog = new Stage2DirtyLog(mmu, t.splitPolicy(), scanVariant);
    MemorySlotSpec r = null;
    for (MemorySlotSpec s : spec.slots()) if (!s.readOnly()) r = s;
    this.ram = r;
    WorkloadSpec ws = WorkloadSpec.parse(spec.workload());
    for (int i = 0; i < spec.vcpuCount(); i++) {
      Workload w = workloads.create(ws, i, spec.vcpuCount(), ram.pageCount(), spec.seed());
      vcpus.add(new Vcpu(i, mmu, control, ram.baseGfn(), w, pattern));
    }
    this.hostMm =
        new HostMmEvents(
            mmu, ram, t.agingEventsPerSec(), t.remapEventsPerSec(), t.splitEventsPerSec(),
            spec.seed());
    this.device =
        deviceWriteMbps > 0
            ? new DmaDevice(memory, dirtyLog, ram, control, pattern, spec.vcpuCount(),
                deviceWriteMbps, spec.seed())
            : null;
    fillRom();
  }

  /** ROM content: a deterministic pattern derived from the seed, one SplitMix64 stream per page. */
  private void fillRom() {
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (MemorySlotSpec s : spec.slots()) {
      if (!s.readOnly()) continue;
      for (long gfn = s.baseGfn(); gfn < s.endGfn(); gfn++) {
        romPage(spec.seed(), gfn, page);
        memory.writePage(gfn, page, 0);
      }
    }
  }

  /** The ROM content of page gfn for a VM with {@code seed} (both nodes derive the same bytes). */
  public static void romPage(long seed, long gfn, byte[] dst) {
    SplitMix64 r = new SplitMix64(seed * 0x9E3779B97F4A7C15L ^ gfn ^ 0x524F4DL);
    for (int i = 0; i < GuestMemory.PAGE_SIZE; i += 8) {
      long v = r.nextLong();
      for (int k = 0; k < 8; k++) dst[i + k] = (byte) (v >>> (8 * k));
    }
  }

  public VmSpec spec() {
    return spec;
  }

  @Override
  public ChunkedGuestMemory memory() {
    return memory;
  }

  @Override
  public DirtyLog dirtyLog() {
    return dirtyLog;
  }

  /** The dirty log with its implementation-specific extras (manual clear options, tests). */
  public Stage2DirtyLog stage2DirtyLog() {
    return dirtyLog;
  }

  /** The MMU (tests, benchmarks, host operations). */
  public Stage2Mmu mmu() {
    return mmu;
  }

  @Override
  public WriteProtectSnapshot beginSnapshot() {
    return beginSnapshot(SnapshotVariant.CORRECT);
  }

  /** A snapshot of the given variant (tests take the broken one to prove they can fail). */
  public WriteProtectSnapshot beginSnapshot(SnapshotVariant variant) {
    // The dirty log's monitor serializes every change of the MMU's logging mode.
    synchronized (dirtyLog) {
      if (closed) throw new IllegalStateException("VM is closed");
      if (dirtyLog.mode() != DirtyLogMode.OFF)
        throw new IllegalStateException("dirty logging is on (a migration is running)");
      return WriteProtectSnapshot.begin(mmu, ChunkLayout.of(memory), variant, dirtyLog);
    }
  }

  public HostMmEvents hostMmEvents() {
    return hostMm;
  }

  /** The RAM slot. */
  public MemorySlotSpec ram() {
    return ram;
  }

  @Override
  public int vcpuCount() {
    return vcpus.size();
  }

  @Override
  public BackingPageSize backing() {
    return spec.backing();
  }

  @Override
  public synchronized void resume() {
    if (closed) throw new IllegalStateException("VM is closed");
    if (threads.isEmpty()) {
      for (Vcpu v : vcpus) threads.add(v.start());
      hostMm.start();
      if (device != null) device.start();
    }
    control.resume();
  }

  @Override
  public synchronized void pause() {
    control.pause();
    dirtyLog.dmaBarrier(); // the device is quiesced too: no DMA lands after the pause
  }

  /** Pages written by the simulated device (DMA) so far; 0 without one. */
  public long deviceWrites() {
    return device == null ? 0 : device.writes();
  }

  @Override
  public boolean isRunning() {
    return control.isRunning();
  }

  @Override
  public synchronized List<VcpuSnapshot> captureVcpuStates() {
    requirePaused();
    List<VcpuSnapshot> out = new ArrayList<>();
    for (Vcpu v : vcpus) {
      Vcpu.VcpuState s = v.capture();
      out.add(
          new VcpuSnapshot(
              s.index(), s.pc(), s.regs(), s.workloadSpec(), s.workloadState(), s.storesRetired()));
    }
    return out;
  }

  @Override
  public synchronized void restoreVcpuStates(List<VcpuSnapshot> states) {
    requirePaused();
    if (states.size() != vcpus.size())
      throw new IllegalArgumentException(
          "expected " + vcpus.size() + " vCPU states, got " + states.size());
    boolean[] seen = new boolean[vcpus.size()];
    for (VcpuSnapshot s : states) {
      if (s.index() < 0 || s.index() >= vcpus.size() || seen[s.index()])
        throw new IllegalArgumentException("bad or duplicate vCPU index " + s.index());
      seen[s.index()] = true;
    }
    for (VcpuSnapshot s : states) {
      WorkloadSpec ws = WorkloadSpec.parse(s.workloadSpec());
      Workload w = workloads.create(ws, s.index(), vcpus.size(), ram.pageCount(), spec.seed());
      vcpus.get(s.index())
          .restore(
              new Vcpu.VcpuState(
                  s.index(), s.pc(), s.regs(), s.workloadSpec(), s.workloadState(), s.storesRetired()),
              w);
    }
  }

  private void requirePaused() {
    if (control.isRunning()) throw new IllegalStateException("the VM must be paused");
  }

  @Override
  public long storesRetired() {
    long n = 0;
    for (Vcpu v : vcpus) n += v.storesRetired();
    return n;
  }

  /** Each store stands for one page written by the guest. */
  @Override
  public long bytesWritten() {
    return storesRetired() * GuestMemory.PAGE_SIZE;
  }

  /** Stores of one vCPU. */
  public long storesRetired(int vcpu) {
    return vcpus.get(vcpu).storesRetired();
  }

  @Override
  public void setThrottlePercent(int percent) {
    control.setThrottlePercent(percent);
  }

  @Override
  public MachineCounters counters() {
    MmuCounters c = mmu.counters();
    return new MachineCounters(
        c.translationFaults(), c.permissionFaults(), c.hardwareDirtySets(), c.tlbInvalidations(),
        c.kicks());
  }

  @Override
  public void setMissingPageHook(io.dbmmigrate.mmu.MissingPageHook hook) {
    mmu.setMissingPageHook(hook);
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    control.close();
    hostMm.close();
    if (device != null) device.close();
    boolean interrupted = false;
    for (Thread t : threads) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    dirtyLog.close();
    memory.close(); // no vCPU runs any more: unmap the guest's RAM now (see ChunkedGuestMemory)
    if (interrupted) Thread.currentThread().interrupt();
  }
}
