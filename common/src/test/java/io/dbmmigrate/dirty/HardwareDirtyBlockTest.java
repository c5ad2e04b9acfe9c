package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.BrokenMmus;
import io.dbmmigrate.mmu.Descriptor;
import io.dbmmigrate.mmu.MmuVariant;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.Stage2PageTable;
import io.dbmmigrate.mmu.StoreValue;
import io.dbmmigrate.mmu.VcpuContext;
import org.junit.jupiter.api.Test;

/**
 * Hardware-dirty 2 MiB blocks (THP backing, lazy split, HW mode: the enable arms DBM on blocks):
 * a write makes the whole block hardware-dirty without a fault; the scan harvests its 512 pages
 * and cleans it; a host split of a hardware-dirty block keeps the dirty state in its pages, and
 * the variant whose split drops it ({@link BrokenMmus#splitDropsDirty}) is caught.
 */
class HardwareDirtyBlockTest {
  static final StoreValue VALUE = (v, gfn, seq) -> seq;

  @Test
  void aWriteToABlockIsHarvestedAsItsPagesAndTheBlockIsCleanAfter() {
    try (Fixture f = new Fixture(MmuVariant.CORRECT)) {
      f.mmu.store(f.cpu, f.ram + 700, 0, VALUE, 1);
      assertThat(Stage2PageTable.lookupLevel(f.mmu.lookup(f.ram + 700))).isEqualTo(2);
      assertThat(Descriptor.isHwDirty(f.mmu.leafDescriptor(f.ram + 700))).isTrue();
      long[] bm = f.bitmap();
      SyncStats s = f.vm.dirtyLog().sync(bm);
      assertThat(s.dirtyPages()).isEqualTo(512);
      assertThat(f.isSet(bm, f.ram + 512) && f.isSet(bm, f.ram + 700) && f.isSet(bm, f.ram + 1023)).isTrue();
      assertThat(f.isSet(bm, f.ram + 511) || f.isSet(bm, f.ram + 1024)).as("other blocks").isFalse();
      long d = f.mmu.leafDescriptor(f.ram + 700);
      assertThat(Descriptor.hasDbm(d) && !Descriptor.isWritable(d)).as(Descriptor.describe(d, 2)).isTrue();
      assertThat(f.vm.dirtyLog().sync(f.bitmap()).dirtyPages()).isZero();
    }
  }

  @Test
  void aHostSplitOfAHardwareDirtyBlockKeepsItsDirtyState() {
    assertThat(splitThenSync(MmuVariant.CORRECT)).isEqualTo(512);
  }

  @Test
  void aSplitThatDropsTheDirtyStateIsCaught() {
    assertThat(splitThenSync(BrokenMmus.splitDropsDirty())).as("broken variant").isZero();
  }

  /** Dirties one block, splits it as the host does, returns the pages the next sync reports. */
  static long splitThenSync(MmuVariant variant) {
    try (Fixture f = new Fixture(variant)) {
      f.mmu.store(f.cpu, f.ram + 600, 0, VALUE, 1);
      assertThat(f.mmu.splitBlockAt(f.ram + 600)).as("the host split happened").isTrue();
      assertThat(Stage2PageTable.lookupLevel(f.mmu.lookup(f.ram + 600))).isEqualTo(3);
      long[] bm = f.bitmap();
      f.vm.dirtyLog().sync(bm);
      long n = 0;
      for (long g = f.ram + 512; g < f.ram + 1024; g++) if (f.isSet(bm, g)) n++;
      return n;
    }
  }

  static final class Fixture implements AutoCloseable {
    final SimulatedVm vm;
    final Stage2Mmu mmu;
    final VcpuContext cpu;
    final long ram;

    Fixture(MmuVariant variant) {
      MachineTuning t = MachineTuning.defaults().withoutCosts().withSplitPolicy(SplitPolicy.LAZY);
      VmSpec spec = new VmSpec(8L << 20, 64 << 10, 1, BackingPageSize.SIZE_2M, "idle", 2, t);
      vm = SimulatedVms.builder(spec).mmuVariant(variant).prefaultRam(true).build();
      mmu = vm.mmu();
      cpu = mmu.newContext(0);
      ram = vm.ram().baseGfn();
      assertThat(Descriptor.isBlock(mmu.leafDescriptor(ram + 600), 2)).as("THP block").isTrue();
      vm.stage2DirtyLog().enable(DirtyLogMode.HW, new DirtyLogOptions(2, 2L << 20, false));
      long clean = mmu.leafDescriptor(ram + 600);
      assertThat(Descriptor.hasDbm(clean) && !Descriptor.isWritable(clean)).as("armed block").isTrue();
    }

    long[] bitmap() {
      return new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
    }

    boolean isSet(long[] bm, long gfn) {
      return (bm[(int) (gfn >>> 6)] >>> (gfn & 63) & 1) != 0;
    }

    @Override
    public void close() {
      vm.close();
    }
  }
}
