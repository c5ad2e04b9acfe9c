package io.dbmmigrate.machine;

import io.dbmmigrate.dirty.ScanVariant;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.mmu.MmuVariant;
import io.dbmmigrate.vcpu.StorePattern;
import io.dbmmigrate.vcpu.WorkloadFactory;
import io.dbmmigrate.vcpu.WorkloadSpec;

/** Creates simulated VMs. */
public final class SimulatedVms {
  private SimulatedVms() {}

  /**
   * A new VM, paused (no vCPU runs until {@link VirtualMachine#resume()}), memory all zeros except
   * the ROM, which holds a deterministic pattern derived from the seed.
   */
  public static VirtualMachine create(VmSpec spec) {
    return builder(spec).build();
  }

  public static Builder builder(VmSpec spec) {
    return new Builder(spec);
  }

  /** Options beyond the {@link VmSpec}: test hooks (store pattern, workloads, MMU variant). */
  public static final class Builder {
    private final VmSpec spec;
    private StorePattern storePattern = StorePattern.standard();
    private MmuVariant mmuVariant = MmuVariant.CORRECT;
    private ScanVariant scanVariant = ScanVariant.CORRECT;
    private WorkloadFactory workloads = WorkloadFactory.standard();
    private boolean prefaultRam;
    private double deviceWriteMbps;
    private int ringEntries = io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_RING_ENTRIES;
    private int hdbssEntries = io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_HDBSS_ENTRIES;
    private double dirtyLimitMbps;
    private ChunkedGuestMemory memory; // null: a fresh sparse memory

    private Builder(VmSpec spec) {
      if (spec == null) throw new IllegalArgumentException("spec missing");
      WorkloadSpec.parse(spec.workload()); // fail early with the parser's message
      this.spec = spec;
    }

    /** What the vCPUs store (tests: generation numbers). */
    public Builder storePattern(StorePattern pattern) {
      this.storePattern = pattern;
      return this;
    }

    /** The MMU implementation; only tests can obtain anything but {@link MmuVariant#CORRECT}. */
    public Builder mmuVariant(MmuVariant variant) {
      this.mmuVariant = variant;
      return this;
    }

    /** The dirty log's HW scan; only tests can obtain anything but {@link ScanVariant#CORRECT}. */
    public Builder scanVariant(ScanVariant variant) {
      this.scanVariant = variant;
      return this;
    }

    /** Which pages the vCPUs store to (tests: their own page streams); also used on restore. */
    public Builder workloads(WorkloadFactory factory) {
      this.workloads = factory;
      return this;
    }

    /**
     * Map every RAM page in the stage-2 table at creation (clean: writable, or read-only + DBM
     * once logging starts), as in a VM whose guest has touched all of its memory. Without it,
     * pages are mapped on their first touch.
     */
    public Builder prefaultRam(boolean prefault) {
      this.prefaultRam = prefault;
      return this;
    }

    /**
     * A simulated device writing RAM by DMA at this rate (MB/s, pages), bypassing stage 2 and
     * tracked in the dirty log's device bitmap; 0 = no device.
     */
    public Builder deviceWriteRate(double mbps) {
      if (!(mbps >= 0) || Double.isInfinite(mbps))
        throw new IllegalArgumentException("device write rate must be >= 0 MB/s");
      this.deviceWriteMbps = mbps;
      return this;
    }

    /** Ring and HDBSS entries per vCPU, and the dirty limit (MB/s per vCPU, 0 = off). */
    public Builder trackers(int ringEntries, int hdbssEntries, double dirtyLimitMbps) {
      io.dbmmigrate.dirty.DirtyLogOptions.defaults()
          .withBuffers(ringEntries, hdbssEntries)
          .withDirtyLimit(dirtyLimitMbps); // validates
      this.ringEntries = ringEntries;
      this.hdbssEntries = hdbssEntries;
      this.dirtyLimitMbps = dirtyLimitMbps;
      return this;
    }

    /**
     * The guest's memory, fresh (nobody wrote it) and of the spec's slots (e.g. {@link
     * ChunkedGuestMemory#preallocated}), owned by the VM from {@link #build}; null (the default)
     * for a fresh sparse memory.
     */
    public Builder memory(ChunkedGuestMemory fresh) {
      if (fresh != null && !fresh.slots().equals(spec.slots()))
        throw new IllegalArgumentException("memory of slots " + fresh.slots() + " for a VM of " + spec.slots());
      this.memory = fresh;
      return this;
    }

    /** The options of a machine command line: prefault, device, trackers. */
    public Builder options(MachineOptions o) {
      return prefaultRam(o.prefault())
          .deviceWriteRate(o.deviceWriteRate())
          .trackers(o.ringEntries, o.hdbssEntries, o.dirtyLimit);
    }

    public SimulatedVm build() {
      SimulatedVm vm =
          new SimulatedVm(spec, storePattern, mmuVariant, scanVariant, workloads, deviceWriteMbps, memory);
      vm.stage2DirtyLog().setTrackerDefaults(ringEntries, hdbssEntries, dirtyLimitMbps);
      if (prefaultRam) vm.mmu().populate(vm.ram().baseGfn(), vm.ram().endGfn());
      return vm;
    }
  }
}
