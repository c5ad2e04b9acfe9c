package io.dbmmigrate.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PagePlacementTest}'s cases on a memory made by {@link ChunkedGuestMemory#preallocated}:
 * every page backed and mapped before use, so that host writes from direct buffers are copies
 * through the mapping. The same writes must read back the same bytes, and the memory must start
 * out as a fresh one: zeros everywhere, nothing counted as written.
 */
class PopulatedPagePlacementTest extends PagePlacementTest {
  @Override
  ChunkedGuestMemory newMemory(List<MemorySlotSpec> slots) {
    return ChunkedGuestMemory.preallocated(slots, BackingFile.defaultDir(), 2);
  }

  @Test
  void aPopulatedMemoryStartsOutAsAFreshOne() {
    assertThat(mem.populated()).isTrue();
    assertThat(mem.pagesAllocated()).as("populating writes no page").isZero();
    for (long gfn : new long[] {60, 63, 64, 64 + 511, 64 + 512, 64 + 1023}) {
      assertThat(mem.isWritten(gfn)).isFalse();
      assertThat(mem.readLong(gfn, 0)).isZero();
    }
    ChunkedGuestMemory sparse = new ChunkedGuestMemory(mem.slots());
    try {
      assertThat(sparse.populated()).as("a sparse memory").isFalse();
    } finally {
      sparse.close();
    }
  }

  /** Replaces the base case: every block of a populated memory is mapped, so readers read in place. */
  @Override
  @Test
  void aBulkReadOfPlacedPagesEqualsThePageByPageRead() {
    ByteBuffer src = pages(16, 5, 2, 9);
    mem.writePages(512, 16, src, 24);
    PageReader reader = mem.newReader();
    assertThat(reader.run(512, 32, ByteBuffer.allocateDirect(32 * P))).as("read in place").isNull();
    for (int k = 0; k < 16; k++) {
      ByteBuffer inPlace = reader.page(512 + k);
      if (k == 2 || k == 9) {
        assertThat(inPlace).as("a fresh zero page stays unwritten").isNull();
        continue;
      }
      byte[] got = new byte[P];
      inPlace.duplicate().get(got);
      assertThat(got).as("gfn %d", 512 + k).isEqualTo(page(src, k));
    }
  }

  /**
   * A sampled memory (every other block populated here): a run across a populated and a sparse
   * block lands in both, each block keeps its kind, and readers read each kind their way.
   */
  @Test
  void aRunAcrossAPopulatedAndASparseBlockLandsInBoth() {
    final int block = 512;
    ChunkedGuestMemory sampled =
        ChunkedGuestMemory.sampled(
            List.of(new MemorySlotSpec(0, "ram", 0, 6 * block, false)), BackingFile.defaultDir(), 2, 8);
    try {
      assertThat(sampled.populated()).isFalse();
      for (int b = 0; b < 6; b++) assertThat(sampled.isPopulated((long) b * block)).as("block %d", b).isEqualTo(b % 2 == 0);
      ByteBuffer src = pages(64, 11, 40);
      sampled.writePages(block - 32, 64, src, 24); // 32 pages in block 0 (populated), 32 in block 1
      for (int k = 0; k < 64; k++) {
        byte[] got = new byte[P];
        boolean written = sampled.readPage(block - 32 + k, got, 0);
        if (k == 40) {
          assertThat(written).as("a fresh zero page stays unwritten").isFalse();
          continue;
        }
        assertThat(got).as("gfn %d", block - 32 + k).isEqualTo(page(src, k));
      }
      assertThat(sampled.pagesAllocated()).isEqualTo(63);
      PageReader reader = sampled.newReader();
      assertThat(reader.run(0, block, ByteBuffer.allocateDirect(block * P))).as("populated: in place").isNull();
      ByteBuffer bulk = reader.run(block, block, ByteBuffer.allocateDirect(block * P));
      assertThat(bulk).as("sparse, placed by the kernel: one bulk read").isNotNull();
      byte[] got = new byte[P];
      bulk.get(0, got);
      assertThat(got).isEqualTo(page(src, 32));
    } finally {
      sampled.close();
    }
  }
}
