package io.dbmmigrate.memory;

import io.dbmmigrate.machine.VmSpec;

import io.dbmmigrate.machine.SimulatedVms;

import io.dbmmigrate.machine.SimulatedVm;

import io.dbmmigrate.machine.MachineTuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.StoreValue;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkedGuestMemoryTest {
  final ChunkedGuestMemory mem =
      new ChunkedGuestMemory(List.of(new MemorySlotSpec(0, "rom", 0, 4, true), new MemorySlotSpec(1, "ram", 1024, 4096, false)));

  @Test
  void untouchedPagesReadAsZerosAndCostNothing() {
    byte[] buf = new byte[GuestMemory.PAGE_SIZE];
    assertThat(mem.readPage(1024, buf, 0)).isFalse();
    assertThat(mem.residentBytes()).isZero();
    assertThat(mem.totalPages()).isEqualTo(4100);
    assertThat(mem.gfnLimit()).isEqualTo(1024 + 4096);
    assertThat(mem.slotOf(500)).isNull();
    assertThatThrownBy(() -> mem.readPage(500, buf, 0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void writeReadAndZero() {
    byte[] src = new byte[GuestMemory.PAGE_SIZE + 8];
    src[8] = 1;
    src[8 + 4095] = 2;
    mem.writePage(2000, src, 8);
    byte[] dst = new byte[GuestMemory.PAGE_SIZE];
    assertThat(mem.readPage(2000, dst, 0)).isTrue();
    assertThat(dst[0]).isEqualTo((byte) 1);
    assertThat(dst[4095]).isEqualTo((byte) 2);
    mem.zeroPage(2000);
    assertThat(mem.readPage(2000, dst, 0)).isTrue();
    assertThat(dst[0]).isZero();
    mem.writePage(3000, new byte[GuestMemory.PAGE_SIZE], 0);
    assertThat(mem.isAllocated(3000)).as("a zero page stays unallocated").isFalse();
    mem.storeLong(1500, 8, 0x0102030405060708L);
    assertThat(mem.readLong(1500, 8)).isEqualTo(0x0102030405060708L);
    mem.readPage(1500, dst, 0);
    assertThat(dst[8]).as("little endian").isEqualTo((byte) 8);
  }

  /**
   * The memory rule at CI scale: a 4 GiB guest with every PTE established and 64 MiB written holds
   * the written pages, the page-table arena and directory chunks only (the 64 GiB / 1 GiB / 2 GiB
   * heap run is {@code deploy/bench.sh scan}).
   */
  @Test
  void aLargeMappedGuestOnlyPaysForWhatIsWritten() {
    VmSpec spec = new VmSpec(4L << 30, 0, 1, BackingPageSize.SIZE_4K, "idle", 1, MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm = SimulatedVms.builder(spec).build()) {
      Stage2Mmu mmu = vm.mmu();
      long base = vm.ram().baseGfn();
      long pages = vm.ram().pageCount();
      assertThat(mmu.populate(base, base + pages)).isEqualTo(pages);
      assertThat(vm.memory().residentBytes()).isZero();
      VcpuContext c = mmu.newContext(0);
      StoreValue v = (i, g, s) -> s + 1;
      long written = (64L << 20) / GuestMemory.PAGE_SIZE;
      long stride = pages / written;
      for (long k = 0; k < written; k++) mmu.store(c, base + k * stride, 0, v, k);
      long chunks = pages / 512;
      assertThat(vm.memory().pagesAllocated()).isEqualTo(written);
      assertThat(vm.memory().residentBytes()).isLessThanOrEqualTo(written * GuestMemory.PAGE_SIZE + chunks * 2100);
      assertThat(mmu.pageTable().arenaBytes()).as("8 bytes a PTE + upper levels").isLessThan(pages * 8 + (1 << 20));
    }
  }
}
