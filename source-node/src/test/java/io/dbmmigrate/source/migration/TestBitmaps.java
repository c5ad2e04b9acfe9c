package io.dbmmigrate.source.migration;

import io.dbmmigrate.machine.GuestMemory;
import io.dbmmigrate.machine.MemorySlotSpec;

/** Plain gfn bitmaps (bit gfn & 63 of word gfn >>> 6) for tests, and their published rounds. */
final class TestBitmaps {
  private TestBitmaps() {}

  static long[] forMemory(GuestMemory m) {
    return new long[(int) ((m.gfnLimit() + 63) >>> 6)];
  }

  static void setAllPages(long[] bits, GuestMemory m) {
    for (MemorySlotSpec s : m.slots())
      for (long g = s.baseGfn(); g < s.endGfn(); g++) bits[(int) (g >>> 6)] |= 1L << (g & 63);
  }

  static long count(long[] bits) {
    long n = 0;
    for (long w : bits) n += Long.bitCount(w);
    return n;
  }

  /** A published round holding exactly these bits. */
  static HarvestBitmap.Round round(long[] bits) {
    HarvestBitmap h = HarvestBitmap.forGfnLimit((long) bits.length << 6);
    for (int w = 0; w < bits.length; w++) {
      long b = bits[w];
      while (b != 0) {
        long g = ((long) w << 6) + Long.numberOfTrailingZeros(b);
        b &= b - 1;
        h.setRange(g, g + 1);
      }
    }
    return h.publish();
  }

  static long[] words(HarvestBitmap.Round r) {
    long[] out = new long[r.wordCount()];
    for (int i = 0; i < out.length; i++) out[i] = r.word(i);
    return out;
  }
}
