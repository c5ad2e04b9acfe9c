package io.dbmmigrate.digest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReceiptDigestTest {
  static final List<MemorySlotSpec> SLOTS =
      List.of(new MemorySlotSpec(0, "rom", 0, 16, true), new MemorySlotSpec(1, "ram", 1024, 1500, false));

  static ChunkedGuestMemory memory(long salt) {
    ChunkedGuestMemory m = new ChunkedGuestMemory(SLOTS);
    byte[] p = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 1024; g < 1024 + 1500; g += 3) {
      p[0] = (byte) g;
      p[100] = (byte) (g >>> 8);
      p[4095] = (byte) salt;
      m.writePage(g, p, 0);
    }
    return m;
  }

  @Test
  void pagesRecordedInAnyOrderGiveTheSourcesSums() {
    ChunkedGuestMemory src = memory(1);
    ReceiptDigest dest = new ReceiptDigest(SLOTS);
    byte[] p = new byte[GuestMemory.PAGE_SIZE];
    // received backwards, and some pages twice (a later copy replaces the earlier one)
    for (long g = 1024 + 1499; g >= 1024; g--) {
      if (g % 7 == 0) dest.set(g, new byte[GuestMemory.PAGE_SIZE], 0); // a stale copy first
      dest.set(g, src.readPage(g, p, 0) ? p : null, 0);
    }
    dest.recordRest(src, g -> false); // the ROM pages as held
    assertThat(dest.chunkSums()).containsExactly(ReceiptDigest.of(src));
  }

  @Test
  void oneDifferentPageNamesItsChunkOnly() {
    ChunkedGuestMemory src = memory(1);
    ChunkedGuestMemory dst = memory(1);
    byte[] p = new byte[GuestMemory.PAGE_SIZE];
    dst.readPage(1024 + 700, p, 0);
    p[10] ^= 1;
    dst.writePage(1024 + 700, p, 0);
    List<Integer> diff = ReceiptDigest.differing(ReceiptDigest.of(src), ReceiptDigest.of(dst));
    // chunks: rom (1), ram pages 0..511, 512..1023, 1024..1499 -> page 700 is in chunk 2
    assertThat(diff).containsExactly(2);
    assertThat(ReceiptDigest.rangeOfChunk(SLOTS, 2).startGpa()).isEqualTo((1024L + 512) * GuestMemory.PAGE_SIZE);
  }
}
