package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.memory.MemorySlotSpec;

import io.dbmmigrate.memory.GuestMemory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class SimulatedVmTest {
  static VmSpec spec(String workload, long ramBytes) {
    return new VmSpec(ramBytes, 64 << 10, 2, BackingPageSize.SIZE_4K, workload, 5,
        MachineTuning.defaults().withoutCosts());
  }

  static void awaitAtLeast(LongSupplier s, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (s.getAsLong() < n) {
      assertThat(System.nanoTime()).as("timed out waiting for %d stores", n).isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  @Test
  void createdPausedWithTheVirtBoardLayoutAndASeededRom() {
    try (SimulatedVm vm = (SimulatedVm) SimulatedVms.create(spec("random", 8L << 20))) {
      assertThat(vm.isRunning()).isFalse();
      List<MemorySlotSpec> slots = vm.memory().slots();
      assertThat(slots).hasSize(2);
      assertThat(slots.get(0).readOnly()).isTrue();
      assertThat(slots.get(0).baseGfn()).isZero();
      assertThat(slots.get(1).baseGfn()).isEqualTo(VmSpec.RAM_BASE_GFN);
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      byte[] expect = new byte[GuestMemory.PAGE_SIZE];
      assertThat(vm.memory().readPage(3, page, 0)).isTrue();
      SimulatedVm.romPage(5, 3, expect);
      assertThat(page).isEqualTo(expect);
      assertThat(vm.memory().readPage(VmSpec.RAM_BASE_GFN, page, 0)).as("RAM starts as zeros").isFalse();
      assertThat(vm.storesRetired()).isZero();
      assertThat(vm.vcpuCount()).isEqualTo(2);
    }
  }

  @Test
  void resumeRunsTheWorkloadAndPauseStopsEveryStore() throws Exception {
    try (SimulatedVm vm = (SimulatedVm) SimulatedVms.create(spec("random:rate=0", 8L << 20))) {
      vm.resume();
      assertThat(vm.isRunning()).isTrue();
      awaitAtLeast(vm::storesRetired, 1000);
      vm.pause();
      long stores = vm.storesRetired();
      Thread.sleep(20);
      assertThat(vm.storesRetired()).isEqualTo(stores);
      assertThat(vm.bytesWritten()).isEqualTo(stores * GuestMemory.PAGE_SIZE);
      assertThat(vm.counters().translationFaults()).isPositive();
      vm.resume();
      awaitAtLeast(vm::storesRetired, stores + 1000);
      vm.pause();
      assertThatThrownBy(() -> vm.setThrottlePercent(100)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void vcpuStatesMoveToAnotherVmWhichContinuesWhereTheFirstStopped() throws Exception {
    VmSpec spec = spec("once:rate=40", 8L << 20);
    long pages = 2048;
    try (SimulatedVm a = (SimulatedVm) SimulatedVms.create(spec);
        SimulatedVm b = (SimulatedVm) SimulatedVms.create(spec)) {
      a.resume();
      awaitAtLeast(a::storesRetired, 200);
      a.pause();
      assertThatThrownBy(() -> { a.resume(); a.captureVcpuStates(); }).isInstanceOf(IllegalStateException.class);
      a.pause();
      List<VcpuSnapshot> states = a.captureVcpuStates();
      long before = a.storesRetired();
      assertThat(before).isLessThan(pages);
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      for (long g = a.ram().baseGfn(); g < a.ram().endGfn(); g++)
        if (a.memory().readPage(g, page, 0)) b.memory().writePage(g, page, 0);
      b.restoreVcpuStates(states);
      assertThat(b.storesRetired()).isEqualTo(before);
      b.resume();
      awaitAtLeast(b::storesRetired, pages);
      b.pause();
      assertThat(b.storesRetired()).isEqualTo(pages);
      // QEMU-style oracle: every page written exactly once over both VMs (one non-zero long each).
      for (long g = b.ram().baseGfn(); g < b.ram().endGfn(); g++) {
        int nonZero = 0;
        for (int off = 0; off < GuestMemory.PAGE_SIZE; off += 8) if (b.memory().readLong(g, off) != 0) nonZero++;
        assertThat(nonZero).as("page %d", g).isEqualTo(1);
      }
      assertThat(b.captureVcpuStates().get(1).workloadSpec()).isEqualTo("once:rate=40");
    }
  }

  @Test
  void restoreRejectsMismatchedStates() {
    try (SimulatedVm vm = (SimulatedVm) SimulatedVms.create(spec("random", 8L << 20))) {
      List<VcpuSnapshot> s = vm.captureVcpuStates();
      assertThatThrownBy(() -> vm.restoreVcpuStates(s.subList(0, 1))).hasMessageContaining("expected 2");
      assertThatThrownBy(() -> vm.restoreVcpuStates(List.of(s.get(0), s.get(0)))).hasMessageContaining("duplicate");
    }
  }

  @Test
  void closeIsFinal() {
    SimulatedVm vm = (SimulatedVm) SimulatedVms.create(spec("random", 8L << 20));
    vm.resume();
    vm.close();
    vm.close();
    assertThatThrownBy(vm::resume).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBadWorkloadFailsAtCreation() {
    assertThatThrownBy(() -> SimulatedVms.create(spec("zigzag", 8L << 20))).hasMessageContaining("zigzag");
  }
}
