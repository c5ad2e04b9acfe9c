package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Descriptor;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Host aging and unmapping racing HW syncs, checked PTE by PTE: every page is hardware-dirty and
 * young when a sync starts; meanwhile the host clears AF (aging) or unmaps and remaps (which
 * leaves AF clear) every page once, walking down while the scan walks up. No vCPU runs, so nothing
 * may set AF again: after the race every page must be old. A scan that clears the
 * write bit with a plain store of a stale value ({@link BrokenScans#clearByPlainStore}) writes AF
 * back (and a PTE the host had just removed), and is caught.
 */
@Tag("stress")
class HostMmRacingSyncConcurrentTest {
  static final int PAGES = 2048;
  static final int ROUNDS = 20;

  enum HostOp {
    AGING,
    UNMAP_REMAP
  }

  @Test
  void agingRacingSyncsIsNeverUndone() throws Exception {
    assertThat(youngAfterRace(ScanVariant.CORRECT, HostOp.AGING)).isZero();
  }

  @Test
  void unmappingRacingSyncsIsNeverUndone() throws Exception {
    assertThat(youngAfterRace(ScanVariant.CORRECT, HostOp.UNMAP_REMAP)).isZero();
  }

  @Test
  void aScanThatClearsTheWriteBitByPlainStoreIsCaught() throws Exception {
    long aging = youngAfterRace(BrokenScans.clearByPlainStore(), HostOp.AGING);
    long unmap = youngAfterRace(BrokenScans.clearByPlainStore(), HostOp.UNMAP_REMAP);
    System.out.printf("HostMmRacingSyncConcurrentTest plain-store scan: %d aging and %d unmaps undone%n", aging, unmap);
    assertThat(aging).as("aging undone").isPositive();
    assertThat(unmap).as("unmap undone").isPositive();
  }

  /** Pages found young (AF set) after the races of all rounds. */
  static long youngAfterRace(ScanVariant variant, HostOp op) throws Exception {
    MachineTuning t = MachineTuning.defaults().withoutCosts();
    VmSpec spec = new VmSpec(8L << 20, 64 << 10, 1, BackingPageSize.SIZE_4K, "idle", 4, t);
    long young = 0;
    try (SimulatedVm vm = SimulatedVms.builder(spec).scanVariant(variant).prefaultRam(true).build()) {
      Stage2Mmu mmu = vm.mmu();
      long ram = vm.ram().baseGfn();
      vm.stage2DirtyLog().enable(DirtyLogMode.HW, new DirtyLogOptions(2, 4L << 20, false));
      VcpuContext cpu = mmu.newContext(0);
      long[] bm = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      for (int round = 0; round < ROUNDS; round++) {
        for (long g = ram; g < ram + PAGES; g++) mmu.touchForWrite(cpu, g); // hardware-dirty, young
        AtomicBoolean syncDone = new AtomicBoolean();
        CompletableFuture<Void> sync =
            CompletableFuture.runAsync(
                () -> {
                  vm.dirtyLog().sync(bm);
                  syncDone.set(true);
                });
        // The host waits until the scan has passed the first page, then walks down from the top
        // while the scan walks up: where they cross, the host changes a PTE the scan has just read.
        long waitEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Descriptor.isWritable(mmu.leafDescriptor(ram)) && !syncDone.get()) {
          if (System.nanoTime() > waitEnd) throw new AssertionError("the sync never started");
          Thread.onSpinWait();
        }
        for (long g = ram + PAGES - 1; g >= ram; g--) {
          if (op == HostOp.AGING) mmu.mkOld(g, g + 1);
          else mmu.unmapAndRemap(g);
        }
        sync.get(60, TimeUnit.SECONDS);
        for (long g = ram; g < ram + PAGES; g++) {
          long d = mmu.leafDescriptor(g);
          if (Descriptor.isYoung(d)) young++;
        }
      }
    }
    return young;
  }
}
