package io.dbmmigrate.experiment;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.zip.CRC32C;

/**
 * A migration's destination reduced to one CRC-32C per page: {@link #recordAll} is round 0 (every
 * page "sent"), {@link #record} sends the pages a harvest reported, and {@link #lostPages} counts the
 * pages whose content now differs from what was last sent: written, never reported. Single-threaded;
 * call {@link #lostPages} only when nothing writes guest memory any more (VM paused, device
 * quiesced).
 */
final class PageOracle {
  private final GuestMemory memory;
  private final MemorySlotSpec slot;
  private final int[] sent;
  private final byte[] page = new byte[GuestMemory.PAGE_SIZE];
  private final CRC32C crc = new CRC32C();

  PageOracle(GuestMemory memory, MemorySlotSpec slot) {
    this.memory = memory;
    this.slot = slot;
    this.sent = new int[Math.toIntExact(slot.pageCount())];
  }

  void recordAll() {
    for (long g = slot.baseGfn(); g < slot.endGfn(); g++) sent[(int) (g - slot.baseGfn())] = hash(g);
  }

  /** Sends the pages of {@code gfnBitmap} that lie in the slot; returns how many. */
  long record(long[] gfnBitmap) {
    long n = 0;
    for (int w = 0; w < gfnBitmap.length; w++) {
      long bits = gfnBitmap[w];
      while (bits != 0) {
        long g = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        if (g < slot.baseGfn() || g >= slot.endGfn()) continue;
        sent[(int) (g - slot.baseGfn())] = hash(g);
        n++;
      }
    }
    return n;
  }

  long lostPages() {
    long lost = 0;
    for (long g = slot.baseGfn(); g < slot.endGfn(); g++) if (sent[(int) (g - slot.baseGfn())] != hash(g)) lost++;
    return lost;
  }

  private int hash(long gfn) {
    if (!memory.readPage(gfn, page, 0)) java.util.Arrays.fill(page, (byte) 0);
    crc.reset();
    crc.update(page, 0, page.length);
    return (int) crc.getValue();
  }
}
