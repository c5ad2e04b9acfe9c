package io.dbmmigrate.source.cli;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.SplittableRandom;

/**
 * Benchmark helper: fills a fraction of guest RAM with non-zero, incompressible content through the
 * host's view of memory, before the vCPUs start (so round 0 moves real pages, not zero markers).
 * Each page starts with its gfn, followed by bytes of a 1 MiB random block: the repetition period
 * (1 MiB) is far beyond LZ4's 64 KiB window, so LZ4 finds nothing to compress.
 */
final class Prefill {
  private Prefill() {}

  /** Writes every page whose index modulo 1000 is below fraction × 1000. The VM must be paused. */
  static long fill(GuestMemory mem, double fraction, long seed) {
    byte[] block = new byte[1 << 20];
    new SplittableRandom(seed).nextBytes(block);
    int per1000 = (int) Math.round(fraction * 1000);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    long written = 0;
    for (MemorySlotSpec s : mem.slots()) {
      if (s.readOnly()) continue;
      for (long i = 0; i < s.pageCount(); i++) {
        if (i % 1000 >= per1000) continue;
        long gfn = s.baseGfn() + i;
        int off = (int) ((i * GuestMemory.PAGE_SIZE) % block.length);
        System.arraycopy(block, off, page, 0, GuestMemory.PAGE_SIZE);
        for (int b = 0; b < 8; b++) page[b] = (byte) (gfn >>> (8 * b));
        mem.writePage(gfn, page, 0);
        written++;
      }
    }
    return written;
  }
}
