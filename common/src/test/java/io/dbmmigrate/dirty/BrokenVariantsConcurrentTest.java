package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.mmu.BrokenMmus;
import io.dbmmigrate.mmu.MmuVariant;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proof that {@link DirtyLogConcurrentTest} can fail: each deliberately broken MMU variant must
 * make the same oracle report lost pages. A variant gets several attempts (each a full stress run
 * with a fresh seed); it must be caught in one of them.
 */
@Tag("stress")
class BrokenVariantsConcurrentTest {
  private static final int ATTEMPTS = 5;

  @Test
  void invalidationThatDoesNotWaitForInflightStoresIsCaught() {
    assertCaught("invalidation-does-not-wait", BrokenMmus.invalidationDoesNotWait(), StressRun.Flow.HW, 0, 0);
  }

  @Test
  void accessFlagClearedByPlainStoreIsCaught() {
    assertCaught("af-plain-store", BrokenMmus.afClearedByPlainStore(), StressRun.Flow.HW, 20_000, 0);
  }

  @Test
  void replacementWithoutSavingDirtyStateIsCaught() {
    assertCaught("replace-without-save", BrokenMmus.replaceWithoutSavingDirty(), StressRun.Flow.HW, 0, 20_000);
  }

  @Test
  void splitDroppingTheDirtyStateOfAHardwareDirtyBlockIsCaught() {
    assertCaught("split-drops-dirty", StressRun.Flow.HW, () -> {
      StressRun run = new StressRun();
      run.variant = BrokenMmus.splitDropsDirty();
      run.backing = BackingPageSize.SIZE_2M;
      run.split = SplitPolicy.LAZY;
      run.agingPerSec = 0;
      run.remapPerSec = 0;
      run.splitPerSec = 20_000;
      return run;
    });
  }

  @Test
  void aScannerSkippingThePartialLastChunkIsCaught() {
    assertCaught("skips-partial-last-chunk", StressRun.Flow.HW, () -> {
      StressRun run = DirtyLogConcurrentTest.partialChunkRun(2);
      run.scanVariant = BrokenScans.skipsPartialLastChunk();
      return run;
    });
  }

  @Test
  void aRingHarvestThatDoesNotReprotectIsCaught() {
    assertCaught("ring-reset-without-reprotect", StressRun.Flow.RING,
        () -> trackerRun(BrokenTrackers.ringResetWithoutReprotect(), 0));
  }

  @Test
  void anHdbssBufferFullExitThatDropsTheBufferIsCaught() {
    assertCaught("hdbss-full-drops-buffer", StressRun.Flow.HDBSS,
        () -> trackerRun(BrokenTrackers.hdbssFullDropsBuffer(), 0));
  }

  @Test
  void aCombinedLogThatArmsWithoutMarkingIsCaught() {
    assertCaught("combined-arms-without-marking", StressRun.Flow.COMBINED,
        () -> trackerRun(BrokenTrackers.combinedArmsWithoutMarking(), 0));
  }

  @Test
  void aLogThatForgetsTheDeviceBitmapIsCaught() {
    for (StressRun.Flow f : new StressRun.Flow[] {StressRun.Flow.HW, StressRun.Flow.RING}) {
      assertCaught("forgets-device-bitmap " + f, f,
          () -> trackerRun(BrokenTrackers.forgetsDeviceBitmap(), 200));
    }
  }

  private static StressRun trackerRun(ScanVariant v, double deviceMbps) {
    StressRun run = new StressRun();
    run.scanVariant = v;
    run.ratePerVcpuMbps = 0;
    run.deviceWriteMbps = deviceMbps;
    run.rounds = 60;
    return run;
  }

  private static void assertCaught(
      String name, MmuVariant variant, StressRun.Flow flow, double agingPerSec, double remapPerSec) {
    assertCaught(name, flow, () -> {
      StressRun run = new StressRun();
      run.variant = variant;
      run.agingPerSec = agingPerSec;
      run.remapPerSec = remapPerSec;
      run.splitPerSec = 0;
      return run;
    });
  }

  private static void assertCaught(String name, StressRun.Flow flow, Supplier<StressRun> runs) {
    long lost = 0;
    int attempt = 0;
    while (lost == 0 && attempt < ATTEMPTS) {
      attempt++;
      StressRun run = runs.get();
      run.seed = DirtyLogConcurrentTest.seed() + attempt;
      StressRun.Result r = run.run(flow);
      lost = r.lost();
      System.out.printf(
          "BrokenVariantsConcurrentTest %s attempt %d seed=%d lost=%d collected=%d %s%n",
          name, attempt, run.seed, lost, r.collected(), r.examples().isEmpty() ? "" : r.examples().get(0));
    }
    assertThat(lost).as("%s must be caught within %d attempts", name, ATTEMPTS).isGreaterThan(0);
  }
}
