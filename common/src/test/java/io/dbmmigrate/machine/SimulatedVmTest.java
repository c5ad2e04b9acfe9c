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
    VmSpec spec = spec("once:rate=4", 8L << 20); // ~1 s for all pages: the pause lands mid-way even on a loaded host
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
      assertThat(b.captureVcpuStates().get(1).workloadSpec()).isEqualTo("once:rate=4");
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

  /**
   * A pause must not wait for a throttled vCPU's sleep. At 0.01 MB/s a vCPU stores every 410 ms;
   * the old throttle counted those 410 ms as running time and slept 99 times as long (40 s) at
   * 99 %, so pause() blocked for that long (a migration's forced stop "hung"). The timeout below
   * detects that hang; it is no performance threshold (the pause itself takes microseconds).
   */
  @Test
  void aPauseNeverWaitsForAThrottledVcpusSleep() throws Exception {
    try (SimulatedVm vm = (SimulatedVm) SimulatedVms.create(spec("random:rate=0.01", 8L << 20))) {
      vm.setThrottlePercent(99);
      vm.resume();
      awaitAtLeast(vm::storesRetired, 4); // the second store of each vCPU starts a throttle sleep
      Thread.sleep(50);
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(10), vm::pause, "pause() waited for a throttle sleep");
      assertThat(vm.isRunning()).isFalse();
      long stores = vm.storesRetired();
      Thread.sleep(20);
      assertThat(vm.storesRetired()).as("paused: no store after pause() returned").isEqualTo(stores);
    }
  }
}
