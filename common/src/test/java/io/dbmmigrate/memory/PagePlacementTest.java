package io.dbmmigrate.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Host writes placed by the kernel (positional writes to the backing file) and bulk reads of
 * whole runs: they must read back exactly what the page-by-page path would, keep fresh zero
 * pages unbacked, respect slot and mapping boundaries, and survive an interrupt (which closes the
 * channel). {@link PopulatedPagePlacementTest} runs the same on a preallocated, populated memory,
 * where the same writes are copies through the mapping.
 */
class PagePlacementTest {
  static final int P = GuestMemory.PAGE_SIZE;

  // Two adjacent slots: gfns 60..63 and 64..71 follow on, but lie in different file regions.
  final ChunkedGuestMemory mem =
      newMemory(List.of(new MemorySlotSpec(0, "low", 60, 4, false), new MemorySlotSpec(1, "high", 64, 1024, false)));

  /** The memory under test: sparse here (writes from direct buffers are positional writes). */
  ChunkedGuestMemory newMemory(List<MemorySlotSpec> slots) {
    return new ChunkedGuestMemory(slots);
  }

  @AfterEach
  void unmap() {
    mem.close();
  }

  /** A direct buffer of n pages with random content, except the listed zero pages. */
  static ByteBuffer pages(int n, long seed, int... zeroPages) {
    byte[] bytes = new byte[n * P];
    new Random(seed).nextBytes(bytes);
    for (int z : zeroPages) Arrays.fill(bytes, z * P, (z + 1) * P, (byte) 0);
    ByteBuffer b = ByteBuffer.allocateDirect(n * P + 24).order(ByteOrder.LITTLE_ENDIAN);
    b.position(24); // content not at offset 0 of the buffer, as in a network buffer
    b.put(bytes).position(7).limit(n * P + 24); // position/limit unrelated to the run
    return b;
  }

  static byte[] page(ByteBuffer b, int index) {
    byte[] out = new byte[P];
    b.get(24 + index * P, out);
    return out;
  }

  byte[] read(long gfn) {
    byte[] out = new byte[P];
    mem.readPage(gfn, out, 0);
    return out;
  }

  @Test
  void aRunIsPlacedAsIfWrittenPageByPageAndFreshZeroPagesStayUnbacked() {
    ByteBuffer src = pages(8, 1, 3);
    mem.writePages(100, 8, src, 24);
    for (int k = 0; k < 8; k++) assertThat(read(100 + k)).as("gfn %d", 100 + k).isEqualTo(page(src, k));
    assertThat(mem.isWritten(103)).as("a fresh zero page is not backed").isFalse();
    assertThat(mem.pagesAllocated()).isEqualTo(7);
    assertThat(src.position()).as("src position untouched").isEqualTo(7);
    assertThat(src.limit()).isEqualTo(8 * P + 24);
  }

  @Test
  void aZeroPageOverAWrittenPageOverwritesIt() {
    mem.writePages(200, 2, pages(2, 2), 24);
    ByteBuffer zeros = pages(2, 3, 0, 1);
    mem.writePages(200, 2, zeros, 24);
    assertThat(read(200)).isEqualTo(new byte[P]);
    assertThat(read(201)).isEqualTo(new byte[P]);
    assertThat(mem.isWritten(200)).isTrue();
  }

  @Test
  void aRunAcrossTwoSlotsLandsInBoth() {
    ByteBuffer src = pages(8, 4);
    mem.writePages(60, 8, src, 24); // 60..63 in slot "low", 64..67 in slot "high"
    for (int k = 0; k < 8; k++) assertThat(read(60 + k)).as("gfn %d", 60 + k).isEqualTo(page(src, k));
  }

  @Test
  void aRunAcrossTwoMappingsOfOneSlotLandsInBoth() {
    // One slot a little larger than a mapping (1 GiB): its last pages live in the second region.
    final long regionPages = ChunkedGuestMemory.REGION_BYTES / P;
    ChunkedGuestMemory big = newMemory(List.of(new MemorySlotSpec(0, "ram", 0, regionPages + 8, false)));
    try {
      ByteBuffer src = pages(8, 10);
      big.writePages(regionPages - 4, 8, src, 24);
      for (int k = 0; k < 8; k++) {
        byte[] got = new byte[P];
        big.readPage(regionPages - 4 + k, got, 0);
        assertThat(got).as("gfn %d", regionPages - 4 + k).isEqualTo(page(src, k));
      }
      assertThat(big.pagesAllocated()).isEqualTo(8);
    } finally {
      big.close();
    }
  }

  @Test
  void aBulkReadOfPlacedPagesEqualsThePageByPageRead() {
    ByteBuffer src = pages(16, 5, 2, 9);
    mem.writePages(512, 16, src, 24);
    PageReader reader = mem.newReader();
    ByteBuffer bounce = ByteBuffer.allocateDirect(32 * P);
    ByteBuffer run = reader.run(512, 32, bounce);
    assertThat(run).as("placed pages are read in bulk").isNotNull();
    assertThat(run.remaining()).isEqualTo(32 * P);
    for (int k = 0; k < 32; k++) {
      byte[] got = new byte[P];
      run.get(k * P, got);
      assertThat(got).as("gfn %d", 512 + k).isEqualTo(read(512 + k));
    }
  }

  @Test
  void aBlockWrittenThroughTheMappingIsReadInPlaceAndStillReadsRight() {
    mem.writePages(1024, 4, pages(4, 6), 24);
    byte[] guest = new byte[P];
    new Random(7).nextBytes(guest);
    mem.writePage(1025, guest, 0); // through the mapping: the block is now read in place
    PageReader reader = mem.newReader();
    assertThat(reader.run(1024, 4, ByteBuffer.allocateDirect(4 * P))).isNull();
    assertThat(reader.page(1025).duplicate()).isEqualTo(ByteBuffer.wrap(guest));
  }

  @Test
  void anInterruptedWriterFallsBackToTheMappingAndLosesNothing() {
    ByteBuffer first = pages(4, 8);
    ByteBuffer second = pages(4, 9);
    Thread.currentThread().interrupt();
    try {
      mem.writePages(300, 4, first, 24); // the interrupt closes the file channel mid-call
      assertThat(Thread.currentThread().isInterrupted()).as("interrupt kept for the caller").isTrue();
    } finally {
      Thread.interrupted();
    }
    mem.writePages(304, 4, second, 24); // the channel stays closed: through the mapping
    mem.writePage(308, second, 24);
    for (int k = 0; k < 4; k++) {
      assertThat(read(300 + k)).isEqualTo(page(first, k));
      assertThat(read(304 + k)).isEqualTo(page(second, k));
    }
    assertThat(read(308)).isEqualTo(page(second, 0));
    assertThat(mem.newReader().run(300, 8, ByteBuffer.allocateDirect(8 * P)))
        .as("no bulk read once the channel is closed")
        .isNull();
  }
}
