package io.dbmmigrate.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The write-protect snapshot under a running guest: hashing through it while vCPUs write at full
 * speed gives exactly the digest of the memory as it was when the snapshot was taken (checked
 * against the digest of the paused VM), and the broken variant that hashes without
 * write-protecting is caught.
 */
@Tag("stress")
class WriteProtectSnapshotConcurrentTest {
  private static final int REPETITIONS = 4;

  private static SimulatedVm vm(BackingPageSize backing) {
    return (SimulatedVm)
        SimulatedVms.create(
            new VmSpec(16L << 20, 64 << 10, 2, backing, "random:rate=0", 11,
                MachineTuning.defaults().withoutCosts()));
  }

  /** Slows the hashing down (1 thread, a pause before every chunk) so the guest writes meanwhile. */
  private static BooleanSupplier slowly() {
    return () -> {
      try {
        Thread.sleep(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    };
  }

  private record Outcome(boolean same, long storesDuringHash, long copied) {}

  private static Outcome hashWhileRunning(SimulatedVm vm, SnapshotVariant variant) throws Exception {
    vm.resume();
    awaitStores(vm, vm.storesRetired() + 20_000);
    vm.pause();
    Digest atRest = new MemoryDigester(2).tree(vm.memory());
    long stores0 = vm.storesRetired();
    Digest snap;
    long copied;
    try (WriteProtectSnapshot s = vm.beginSnapshot(variant)) {
      vm.resume(); // the guest runs from the instant of the snapshot
      snap = new MemoryDigester(1).digest(s, null, slowly());
      copied = s.pagesCopied();
    }
    long during = vm.storesRetired() - stores0;
    vm.pause();
    return new Outcome(snap.sameMemoryAs(atRest), during, copied);
  }

  @Test
  void hashingThroughTheSnapshotSeesTheImageAsOfItsStartWhileTheGuestWrites() throws Exception {
    for (BackingPageSize backing : BackingPageSize.values()) {
      try (SimulatedVm vm = vm(backing)) {
        for (int i = 0; i < REPETITIONS; i++) {
          Outcome o = hashWhileRunning(vm, SnapshotVariant.CORRECT);
          assertThat(o.storesDuringHash()).as("the guest wrote during hashing").isGreaterThan(1000);
          assertThat(o.copied()).as("first writes saved a copy first").isPositive();
          assertThat(o.same()).as("%s repetition %d: snapshot digest = digest at rest", backing, i).isTrue();
        }
      }
    }
  }

  @Test
  void brokenVariantWithoutWriteProtectIsCaught() throws Exception {
    try (SimulatedVm vm = vm(BackingPageSize.SIZE_4K)) {
      Outcome o = hashWhileRunning(vm, SnapshotVariant.NO_WRITE_PROTECT);
      assertThat(o.storesDuringHash()).isGreaterThan(1000);
      assertThat(o.same()).as("guest writes leak into an unprotected hash").isFalse();
    }
  }

  @Test
  void snapshotAndDirtyLogExcludeEachOtherAndTheGuestRunsOnAfterClose() throws Exception {
    try (SimulatedVm vm = vm(BackingPageSize.SIZE_4K)) {
      WriteProtectSnapshot s = vm.beginSnapshot();
      assertThatThrownBy(() -> vm.dirtyLog().enable(DirtyLogMode.SW, DirtyLogOptions.defaults()))
          .isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(vm::beginSnapshot).isInstanceOf(IllegalStateException.class);
      vm.resume();
      awaitStores(vm, 5_000);
      s.close();
      long faults = vm.counters().permissionFaults();
      awaitStores(vm, vm.storesRetired() + 5_000);
      vm.dirtyLog().enable(DirtyLogMode.SW, DirtyLogOptions.defaults());
      assertThatThrownBy(vm::beginSnapshot).isInstanceOf(IllegalStateException.class);
      vm.dirtyLog().disable();
      vm.pause();
      assertThat(faults).isGreaterThanOrEqualTo(0);
    }
  }

  private static void awaitStores(SimulatedVm vm, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (vm.storesRetired() < n) {
      assertThat(System.nanoTime()).as("timed out waiting for %d stores", n).isLessThan(deadline);
      Thread.sleep(1);
    }
  }
}
