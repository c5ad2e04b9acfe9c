package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.mmu.BrokenMmus;
import io.dbmmigrate.mmu.MmuVariant;
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

  private static void assertCaught(
      String name, MmuVariant variant, StressRun.Flow flow, double agingPerSec, double remapPerSec) {
    long lost = 0;
    int attempt = 0;
    while (lost == 0 && attempt < ATTEMPTS) {
      attempt++;
      StressRun run = new StressRun();
      run.seed = DirtyLogConcurrentTest.seed() + attempt;
      run.variant = variant;
      run.agingPerSec = agingPerSec;
      run.remapPerSec = remapPerSec;
      run.splitPerSec = 0;
      StressRun.Result r = run.run(flow);
      lost = r.lost();
      System.out.printf(
          "BrokenVariantsConcurrentTest %s attempt %d seed=%d lost=%d collected=%d %s%n",
          name, attempt, run.seed, lost, r.collected(), r.examples().isEmpty() ? "" : r.examples().get(0));
    }
    assertThat(lost).as("%s must be caught within %d attempts", name, ATTEMPTS).isGreaterThan(0);
  }
}
