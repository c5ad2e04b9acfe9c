package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.StoreValue;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every dirty-log mode promises through {@link DirtyLog}, written once and bound to each mode
 * by a subclass (sw, hw, the hw → sw switch, manual clear, manual clear with "initially all set").
 * A mode added later gets the same contract by adding a subclass. Single-threaded: the concurrent
 * side is {@link DirtyLogConcurrentTest}'s oracle.
 *
 * <p>A subclass says how to enable its mode ({@link #enable}: options, and what happens right
 * after, such as round 0 of "initially all set" or the switch) and how it harvests ({@link
 * #harvest}: sync, or get + clear).
 */
abstract class DirtyLogContractTest {
  static final long RAM_BYTES = 16L << 20;
  static final StoreValue VALUE = (v, gfn, seq) -> seq + 1;

  SimulatedVm vm;
  Stage2Mmu mmu;
  DirtyLog log;
  VcpuContext cpu;
  long ram;
  long seq;

  /** Enables the mode under test on {@code vm} (and does what its round 0 needs). */
  abstract void enable(SimulatedVm vm);

  /** One harvest: afterwards copying the reported pages is safe. */
  SyncStats harvest(DirtyLog log, long[] bitmap) {
    return log.sync(bitmap);
  }

  DirtyLogOptions options() {
    return new DirtyLogOptions(2, 2L << 20, false);
  }

  @BeforeEach
  void create() {
    MachineTuning t = MachineTuning.defaults().withoutCosts();
    vm = SimulatedVms.builder(new VmSpec(RAM_BYTES, 64 << 10, 1, BackingPageSize.SIZE_4K, "idle", 5, t)).build();
    mmu = vm.mmu();
    log = vm.dirtyLog();
    cpu = mmu.newContext(0);
    ram = vm.ram().baseGfn();
    mmu.populate(ram, ram + vm.ram().pageCount() / 2); // half mapped, half faults in on first touch
  }

  @AfterEach
  void close() {
    vm.close();
  }

  long[] bitmap() {
    return new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
  }

  void store(long page) {
    assertThat(mmu.store(cpu, ram + page, 0, VALUE, seq++)).isTrue();
  }

  List<Long> harvested() {
    long[] bm = bitmap();
    harvest(log, bm);
    List<Long> out = new ArrayList<>();
    for (int w = 0; w < bm.length; w++)
      for (long m = bm[w]; m != 0; m &= m - 1) out.add(((long) w << 6) + Long.numberOfTrailingZeros(m) - ram);
    return out;
  }

  @Test
  void aPageWrittenAfterEnableIsReportedAndNothingElse() {
    enable(vm);
    store(7);
    store(4095); // never mapped before: a translation fault during logging
    assertThat(harvested()).containsExactly(7L, 4095L);
  }

  @Test
  void aReportedPageIsCleanUntilWrittenAgain() {
    enable(vm);
    store(3);
    assertThat(harvested()).containsExactly(3L);
    assertThat(harvested()).as("nothing written since").isEmpty();
    store(3);
    assertThat(harvested()).as("written after the harvest that reported it").containsExactly(3L);
  }

  @Test
  void aStoreThroughACachedTranslationAfterTheHarvestIsReportedNext() {
    enable(vm);
    store(11); // fills this vCPU's TLB with a writable translation
    assertThat(harvested()).containsExactly(11L);
    store(11); // the harvest invalidated the TLB: this store takes a fresh (read-only) walk
    store(12);
    assertThat(harvested()).containsExactly(11L, 12L);
  }

  @Test
  void aHostRemapOfADirtyPageKeepsItDirty() {
    enable(vm);
    store(20);
    assertThat(mmu.unmapAndRemap(ram + 20)).isTrue();
    store(21);
    assertThat(mmu.unmapAndRemap(ram + 21)).isTrue();
    assertThat(harvested()).containsExactly(20L, 21L);
    assertThat(harvested()).isEmpty();
  }

  @Test
  void romIsNeverReportedAndItsStoresAreDropped() {
    enable(vm);
    long rom = vm.spec().slots().get(0).baseGfn();
    assertThat(mmu.store(cpu, rom, 0, VALUE, 0)).isFalse();
    assertThat(mmu.store(cpu, rom + 1, 0, VALUE, 0)).isFalse();
    store(5);
    assertThat(harvested()).containsExactly(5L);
  }

  @Test
  void disableStopsLoggingAndTheLogCanBeEnabledAgain() {
    enable(vm);
    store(1);
    log.disable();
    assertThat(log.mode()).isEqualTo(DirtyLogMode.OFF);
    assertThatThrownBy(() -> log.sync(bitmap())).isInstanceOf(IllegalStateException.class);
    store(2); // logging off: writable again, nothing recorded
    enable(vm);
    assertThat(harvested()).as("pages written while logging was off are round 0's job").isEmpty();
    store(9);
    assertThat(harvested()).containsExactly(9L);
  }

  @Test
  void aHarvestBeforeEnableIsRefused() {
    assertThatThrownBy(() -> log.sync(bitmap())).isInstanceOf(IllegalStateException.class);
  }
}
