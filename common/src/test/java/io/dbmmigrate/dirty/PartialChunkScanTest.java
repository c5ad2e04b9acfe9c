package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A HW scan whose range is not a multiple of the chunk size: two whole 4 MiB chunks and a partial
 * one of 2 MiB, at 1, 2 and 4 scan threads; a dirty page in every chunk, the last page of the
 * partial one included, must be reported. The variant that skips the partial last chunk ({@link
 * BrokenScans#skipsPartialLastChunk}) is caught at every thread count.
 */
class PartialChunkScanTest {
  static final long CHUNK_BYTES = 4L << 20;
  static final long RAM_BYTES = 2 * CHUNK_BYTES + (2L << 20); // RAM comes in 2 MiB steps

  @ParameterizedTest(name = "{0} scan threads")
  @ValueSource(ints = {1, 2, 4})
  void everyChunkIncludingThePartialLastOneIsScanned(int threads) {
    List<Long> dirty = List.of(0L, 1023L, 1024L, 2047L, 2048L, 2559L);
    assertThat(scan(ScanVariant.CORRECT, threads, dirty)).containsExactlyElementsOf(dirty);
  }

  @Test
  void aScannerThatSkipsThePartialLastChunkIsCaughtAtOneTwoAndFourThreads() {
    List<Long> dirty = List.of(3L, 2559L);
    for (int threads : new int[] {1, 2, 4}) {
      assertThat(scan(BrokenScans.skipsPartialLastChunk(), threads, dirty))
          .as("broken variant at %d threads", threads)
          .doesNotContain(2559L);
    }
  }

  /** Dirties {@code pages} (RAM-relative) in HW mode and returns what one sync reports. */
  static List<Long> scan(ScanVariant variant, int threads, List<Long> pages) {
    VmSpec spec =
        new VmSpec(RAM_BYTES, 64 << 10, 1, BackingPageSize.SIZE_4K, "idle", 1,
            MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm = SimulatedVms.builder(spec).scanVariant(variant).prefaultRam(true).build()) {
      Stage2Mmu mmu = vm.mmu();
      long ram = vm.ram().baseGfn();
      assertThat(vm.ram().pageCount() % (CHUNK_BYTES >>> 12)).as("a partial last chunk").isNotZero();
      vm.stage2DirtyLog().enable(DirtyLogMode.HW, new DirtyLogOptions(threads, CHUNK_BYTES, false));
      VcpuContext cpu = mmu.newContext(0);
      for (long p : pages) mmu.touchForWrite(cpu, ram + p);
      long[] bm = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      SyncStats s = vm.dirtyLog().sync(bm);
      assertThat(s.threads()).isBetween(1, threads);
      List<Long> out = new ArrayList<>();
      for (int w = 0; w < bm.length; w++)
        for (long m = bm[w]; m != 0; m &= m - 1) out.add(((long) w << 6) + Long.numberOfTrailingZeros(m) - ram);
      return out;
    }
  }
}
