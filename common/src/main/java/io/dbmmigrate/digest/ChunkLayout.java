package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.List;

/**
 * How guest memory is cut into tree-digest chunks: each slot, in slot order, into {@code
 * chunkBytes} pieces (the last piece of a slot may be shorter). Chunk i of the layout is the i-th
 * piece in that order, which is also its order in a raw dump (the slots concatenated).
 */
public final class ChunkLayout {
  private final List<MemorySlotSpec> slots;
  private final long chunkPages;
  private final long[] firstGfn;
  private final long[] endGfn;

  public ChunkLayout(List<MemorySlotSpec> slots, long chunkBytes) {
    if (chunkBytes <= 0 || chunkBytes % GuestMemory.PAGE_SIZE != 0)
      throw new IllegalArgumentException("chunk size must be a positive multiple of 4 KiB");
    this.slots = List.copyOf(slots);
    this.chunkPages = chunkBytes / GuestMemory.PAGE_SIZE;
    long n = 0;
    for (MemorySlotSpec s : slots) n += (s.pageCount() + chunkPages - 1) / chunkPages;
    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many chunks");
    firstGfn = new long[(int) n];
    endGfn = new long[(int) n];
    int i = 0;
    for (MemorySlotSpec s : slots)
      for (long g = s.baseGfn(); g < s.endGfn(); g += chunkPages) {
        firstGfn[i] = g;
        endGfn[i++] = Math.min(s.endGfn(), g + chunkPages);
      }
  }

  public static ChunkLayout of(GuestMemory mem) {
    return new ChunkLayout(mem.slots(), MemoryDigester.DEFAULT_CHUNK_BYTES);
  }

  public int chunkCount() {
    return firstGfn.length;
  }

  public long chunkBytes() {
    return chunkPages * GuestMemory.PAGE_SIZE;
  }

  public List<MemorySlotSpec> slots() {
    return slots;
  }

  public long firstGfn(int chunk) {
    return firstGfn[chunk];
  }

  public long endGfn(int chunk) {
    return endGfn[chunk];
  }

  /** The chunk holding gfn, or -1 when gfn is in no slot. Binary search, no allocation. */
  public int chunkOf(long gfn) {
    int lo = 0;
    int hi = firstGfn.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (gfn < firstGfn[mid]) hi = mid - 1;
      else if (gfn >= endGfn[mid]) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The guest-physical range of chunk i. */
  public ChunkRange range(int chunk) {
    return new ChunkRange(
        firstGfn[chunk] * GuestMemory.PAGE_SIZE, (endGfn[chunk] - firstGfn[chunk]) * GuestMemory.PAGE_SIZE);
  }

  public long memoryBytes() {
    long b = 0;
    for (MemorySlotSpec s : slots) b += s.sizeBytes();
    return b;
  }
}
