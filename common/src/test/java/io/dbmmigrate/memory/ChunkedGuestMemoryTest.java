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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkedGuestMemoryTest {
  final ChunkedGuestMemory mem =
      new ChunkedGuestMemory(List.of(new MemorySlotSpec(0, "rom", 0, 4, true), new MemorySlotSpec(1, "ram", 1024, 4096, false)));

  @AfterEach
  void unmap() {
    mem.close();
  }

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
      assertThat(vm.memory().pagesAllocated()).isEqualTo(written);
      assertThat(vm.memory().residentBytes()).isEqualTo(written * GuestMemory.PAGE_SIZE);
      assertThat(mmu.pageTable().arenaBytes()).as("8 bytes a PTE + upper levels").isLessThan(pages * 8 + (1 << 20));
    }
  }

  @Test
  void byteBufferPathsCopyWholePagesAndLeaveSourcePositionsAlone() {
    ByteBuffer src = ByteBuffer.allocateDirect(3 * GuestMemory.PAGE_SIZE);
    src.put(GuestMemory.PAGE_SIZE, (byte) 7).put(2 * GuestMemory.PAGE_SIZE - 1, (byte) 9);
    mem.writePage(1100, src, GuestMemory.PAGE_SIZE);
    assertThat(src.position()).isZero();
    mem.writePage(1101, src, 0);
    assertThat(mem.isWritten(1101)).as("a zero page stays unwritten").isFalse();
    assertThat(mem.isWritten(1100)).isTrue();
    ByteBuffer dst = ByteBuffer.allocate(2 * GuestMemory.PAGE_SIZE);
    dst.position(8);
    assertThat(mem.readPage(1101, dst)).isFalse();
    assertThat(dst.position()).isEqualTo(8);
    assertThat(mem.readPage(1100, dst)).isTrue();
    assertThat(dst.position()).isEqualTo(8 + GuestMemory.PAGE_SIZE);
    assertThat(dst.get(8)).isEqualTo((byte) 7);
    assertThat(dst.get(8 + GuestMemory.PAGE_SIZE - 1)).isEqualTo((byte) 9);
    assertThat(mem.residentBytes()).isEqualTo(GuestMemory.PAGE_SIZE);
  }

  @Test
  void aReaderViewsPagesInPlace() {
    mem.storeLong(1024, 0, 0x1122334455667788L);
    mem.storeLong(5119, 4088, -1L);
    PageReader r = mem.newReader();
    assertThat(r.page(1025)).isNull();
    ByteBuffer v = r.page(1024);
    assertThat(v.remaining()).isEqualTo(GuestMemory.PAGE_SIZE);
    assertThat(v.order(ByteOrder.LITTLE_ENDIAN).getLong(v.position())).isEqualTo(0x1122334455667788L);
    mem.storeLong(1024, 8, 5L);
    assertThat(v.getLong(v.position() + 8)).as("a view, not a copy").isEqualTo(5L);
    ByteBuffer last = r.page(5119);
    assertThat(last.getLong(last.limit() - 8)).isEqualTo(-1L);
    assertThat(ZeroPage.isZero(last, ZeroPage.view())).isFalse();
    mem.zeroPage(5119);
    assertThat(ZeroPage.isZero(r.page(5119), ZeroPage.view())).isTrue();
    assertThat(r.page(5119).position()).as("isZero leaves the view as it was").isEqualTo(last.position());
  }

  @Test
  void theBackingFileIsUnlinkedRightAfterMapping(@TempDir Path dir) throws IOException {
    ChunkedGuestMemory m = new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", 0, 1024, false)), dir);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
    m.storeLong(3, 0, 42L);
    assertThat(m.readLong(3, 0)).isEqualTo(42L);
    m.close();
  }

  /**
   * Sparse for real: mapping a 4 GiB guest (several regions), establishing it and writing one page
   * per region costs the process next to no resident memory (an allocateDirect or a pre-touched
   * mapping would add 4 GiB). Linux only: reads VmRSS from /proc/self/status.
   */
  @Test
  void mappingAndReadingALargeGuestCostsNoResidentMemory() throws IOException {
    Path status = Path.of("/proc/self/status");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(status));
    long before = rssKib(status);
    long pages = (4L << 30) / GuestMemory.PAGE_SIZE;
    ChunkedGuestMemory big = new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", 0, pages, false)));
    try {
      PageReader r = big.newReader();
      long perRegion = ChunkedGuestMemory.REGION_BYTES / GuestMemory.PAGE_SIZE;
      for (long g = 0; g < pages; g += perRegion) big.storeLong(g, 0, g + 1);
      long nulls = 0;
      for (long g = 0; g < pages; g++) if (r.page(g) == null) nulls++;
      assertThat(nulls).isEqualTo(pages - 4);
      assertThat(big.residentBytes()).isEqualTo(4L * GuestMemory.PAGE_SIZE);
      assertThat(rssKib(status) - before).as("RSS growth in KiB").isLessThan(256L << 10);
    } finally {
      big.close();
    }
  }

  private static long rssKib(Path status) throws IOException {
    for (String line : Files.readAllLines(status))
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    throw new IllegalStateException("no VmRSS in " + status);
  }
}
