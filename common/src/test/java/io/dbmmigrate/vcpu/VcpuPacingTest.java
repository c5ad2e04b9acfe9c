package io.dbmmigrate.vcpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.mmu.MmuTuning;
import io.dbmmigrate.mmu.Stage2Mmu;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VcpuPacingTest {
  static final long RAM_GFN = 1024;
  static final int RAM_PAGES = 4096;

  /**
   * At 50 MB/s a store falls due every 82 us. Sleeping once per store (as the vCPU did before the
   * pacing quantum) gives about one sleep per store; with the quantum, each sleep covers at least
   * 500 us, about six stores. A loaded machine only lengthens the sleeps, which raises the ratio.
   */
  @Test
  void aRateLimitedVcpuRetiresSeveralStoresPerWakeUp() throws Exception {
    ChunkedGuestMemory mem =
        new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", RAM_GFN, RAM_PAGES, false)));
    try {
      Stage2Mmu mmu = new Stage2Mmu(mem, 1, MmuTuning.free(), BackingPageSize.SIZE_4K);
      VcpuControl control = new VcpuControl();
      WorkloadSpec spec = WorkloadSpec.parse("random:rate=50");
      Vcpu vcpu =
          new Vcpu(
              0, mmu, control, RAM_GFN, Workloads.create(spec, 0, 1, RAM_PAGES, 7), StorePattern.standard());
      Thread t = vcpu.start();
      control.resume();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (vcpu.storesRetired() < 3_000 && System.nanoTime() < deadline) Thread.sleep(5);
      control.pause();
      long stores = vcpu.storesRetired();
      long sleeps = vcpu.pacingSleeps();
      control.close();
      t.join(10_000);
      assertThat(stores).as("stores retired within 30 s").isGreaterThanOrEqualTo(3_000);
      assertThat(sleeps).as("pacing sleeps").isPositive();
      assertThat((double) stores / sleeps).as("stores per pacing sleep").isGreaterThanOrEqualTo(3.0);
    } finally {
      mem.close();
    }
  }
}
