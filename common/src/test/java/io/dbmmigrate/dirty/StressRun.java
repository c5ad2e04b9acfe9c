package io.dbmmigrate.dirty;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.dirty.SplitPolicy;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.MmuVariant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One dirty_log_test-style run: vCPUs store generation numbers while the test syncs round after
 * round (with host-MM events racing); the {@link DirtyLogOracle} checks every round.
 */
final class StressRun {
  enum Flow {
    SW,
    HW,
    /** HW for the first half of the rounds, then the switch, then SW. */
    SWITCH,
    /** Manual get + clear (HW), "initially all set". */
    MANUAL_HW,
    /** Manual get + clear (SW). */
    MANUAL_SW,
    /** KVM dirty ring (small rings: ring-full exits happen). */
    RING,
    /** FEAT_HDBSS (small buffers: buffer-full exits happen). */
    HDBSS,
    /** HDBSS for the first half, then the switch to SW. */
    HDBSS_SWITCH,
    /** SW/HW combined. */
    COMBINED,
    /** Combined for the first half, then the switch to SW. */
    COMBINED_SWITCH;

    DirtyLogMode mode() {
      switch (this) {
        case SW:
        case MANUAL_SW:
          return DirtyLogMode.SW;
        case RING:
          return DirtyLogMode.RING;
        case HDBSS:
        case HDBSS_SWITCH:
          return DirtyLogMode.HDBSS;
        case COMBINED:
        case COMBINED_SWITCH:
          return DirtyLogMode.COMBINED;
        default:
          return DirtyLogMode.HW;
      }
    }

    boolean switches() {
      return this == SWITCH || this == HDBSS_SWITCH || this == COMBINED_SWITCH;
    }
  }

  long seed = 1;
  long ramBytes = 64L << 20;
  int vcpus = 2;
  BackingPageSize backing = BackingPageSize.SIZE_4K;
  SplitPolicy split = SplitPolicy.EAGER;
  double ratePerVcpuMbps = 100;
  int rounds = 150;
  long roundMicros = 2000;
  double agingPerSec = 2000;
  double remapPerSec = 2000;
  double splitPerSec = 2000;
  int scanThreads = 2;
  long scanChunkBytes = 1L << 24;
  ScanVariant scanVariant = ScanVariant.CORRECT;
  boolean hardwareAccessFlag = true;
  MmuVariant variant = MmuVariant.CORRECT;
  int ringEntries = 128;
  int hdbssEntries = 64;
  double dirtyLimitMbps;
  double deviceWriteMbps;

  record Result(long lost, List<String> examples, long collected, long stores, String counters) {}

  Result run(Flow flow) {
    MachineTuning tuning =
        MachineTuning.defaults()
            .withoutCosts()
            .withHostEvents(agingPerSec, remapPerSec, splitPerSec)
            .withSplitPolicy(split)
            .withHardwareAccessFlag(hardwareAccessFlag);
    String workload = "random:rate=" + ratePerVcpuMbps + ",seed=" + seed;
    VmSpec spec = new VmSpec(ramBytes, 64 << 10, vcpus, backing, workload, seed, tuning);
    GenerationStorePattern pattern = new GenerationStorePattern();
    try (SimulatedVm vm = SimulatedVms.builder(spec).storePattern(pattern).mmuVariant(variant).scanVariant(scanVariant).deviceWriteRate(deviceWriteMbps).build()) {
      Stage2DirtyLog log = vm.stage2DirtyLog();
      DirtyLogOracle oracle = new DirtyLogOracle(vm.memory(), vm.ram());
      int words = (int) ((vm.memory().gfnLimit() + 63) >>> 6);
      vm.resume();
      LockSupport.parkNanos(roundMicros * 1000);
      boolean manual = flow == Flow.MANUAL_HW || flow == Flow.MANUAL_SW;
      DirtyLogMode mode = flow.mode();
      DirtyLogOptions opts =
          new DirtyLogOptions(scanThreads, scanChunkBytes, manual && flow == Flow.MANUAL_HW, manual)
              .withBuffers(ringEntries, hdbssEntries)
              .withDirtyLimit(dirtyLimitMbps);
      pattern.setGeneration(0);
      log.enable(mode, opts);
      if (opts.initiallyAllSet()) {
        // Round 0 of "initially all set": get reports everything, clear arms it, then copy.
        long[] all = new long[words];
        log.getDirtyLog(all);
        log.clearDirtyLog(all);
      }
      oracle.copyAll();
      for (int n = 1; n <= rounds; n++) {
        pattern.setGeneration(n);
        LockSupport.parkNanos(roundMicros * 1000);
        long[] bm = new long[words];
        if (flow.switches() && n == rounds / 2) {
          log.switchToSoftware(bm);
        } else if (manual) {
          log.getDirtyLog(bm);
          log.clearDirtyLog(bm);
        } else {
          log.sync(bm);
        }
        oracle.check(n, bm);
      }
      vm.pause();
      long stores = vm.storesRetired();
      String counters = vm.counters() + " host-mm aging=" + vm.hostMmEvents().agingEvents()
          + " remap=" + vm.hostMmEvents().remapEvents() + " split=" + vm.hostMmEvents().splitEvents()
          + " full-exits=" + log.fullExits() + " buffer-entries=" + log.bufferEntriesHarvested()
          + " armed-groups=" + log.armedNeighbourhoods() + " dma=" + vm.deviceWrites();
      log.disable();
      return new Result(oracle.lostCount, oracle.lost(), oracle.collected, stores, counters);
    }
  }
}
