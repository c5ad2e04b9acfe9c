package io.dbmmigrate.source.migration;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.Arrays;

/**
 * Helpers for the gfn-indexed bitmaps the dirty log fills (bit {@code gfn & 63} of word {@code gfn
 * >>> 6}). The controller's bitmap is owned by the controller thread; page streams read it during a
 * round, after it was published by the executor hand-off, and nobody writes it meanwhile.
 */
public final class GfnBitmap {
  private GfnBitmap() {}

  public static long[] forMemory(GuestMemory mem) {
    return new long[(int) ((mem.gfnLimit() + 63) >>> 6)];
  }

  /** Sets every gfn of every slot (round 0: all pages). */
  public static void setAllPages(long[] bitmap, GuestMemory mem) {
    for (MemorySlotSpec s : mem.slots()) setRange(bitmap, s.baseGfn(), s.endGfn());
  }

  /** Sets bits [from, to). */
  public static void setRange(long[] bitmap, long from, long to) {
    for (long g = from; g < to; ) {
      int w = (int) (g >>> 6);
      int bit = (int) (g & 63);
      if (bit == 0 && to - g >= 64) {
        bitmap[w] = -1L;
        g += 64;
      } else {
        bitmap[w] |= 1L << bit;
        g++;
      }
    }
  }

  public static long count(long[] bitmap) {
    long n = 0;
    for (long w : bitmap) n += Long.bitCount(w);
    return n;
  }

  public static void clear(long[] bitmap) {
    Arrays.fill(bitmap, 0L);
  }
}
