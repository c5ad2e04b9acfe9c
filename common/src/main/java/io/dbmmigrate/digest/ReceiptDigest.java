package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.ArrayList;
import java.util.List;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The post-copy receipt digest (target.proto {@code ReceiptDigest}): per chunk of {@value
 * #CHUNK_PAGES} pages, slot by slot, the sum modulo 2^64 of XXH64(page, seed = gfn). A sum does
 * not depend on the order pages arrive in, so the destination can add each page as it receives it
 * (before any guest write to it) and the source can compute the same sums over its paused image.
 *
 * <p>Not thread-safe for writers: {@link #set} on one gfn from one thread at a time (different gfns
 * from different threads are fine: one long per page). The per-page values are kept, so a page
 * received again replaces its earlier value instead of adding to it.
 */
public final class ReceiptDigest {
  public static final int CHUNK_PAGES = 512;
  private static final XXHash64 XXH = XXHashFactory.fastestJavaInstance().hash64();
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  private final List<MemorySlotSpec> slots;
  private final long[][] pageHashes; // per slot, per page; 0 = not recorded yet
  private final boolean[][] recorded;

  public ReceiptDigest(List<MemorySlotSpec> slots) {
    this.slots = List.copyOf(slots);
    this.pageHashes = new long[slots.size()][];
    this.recorded = new boolean[slots.size()][];
    for (int i = 0; i < slots.size(); i++) {
      pageHashes[i] = new long[Math.toIntExact(slots.get(i).pageCount())];
      recorded[i] = new boolean[pageHashes[i].length];
    }
  }

  /** XXH64 of one page's content with the gfn as seed (null buffer: a zero page). */
  public static long pageHash(long gfn, byte[] buf, int off) {
    return buf == null ? XXH.hash(ZERO_PAGE, 0, GuestMemory.PAGE_SIZE, gfn) : XXH.hash(buf, off, GuestMemory.PAGE_SIZE, gfn);
  }

  /** Records the page as received (null buffer: zero page). Ignores gfns outside every slot. */
  public void set(long gfn, byte[] buf, int off) {
    int s = slotIndex(gfn);
    if (s < 0) return;
    int p = (int) (gfn - slots.get(s).baseGfn());
    pageHashes[s][p] = pageHash(gfn, buf, off);
    recorded[s][p] = true;
  }

  public boolean isRecorded(long gfn) {
    int s = slotIndex(gfn);
    return s >= 0 && recorded[s][(int) (gfn - slots.get(s).baseGfn())];
  }

  /** Records every page not recorded yet from the memory's current content (call while paused). */
  public void recordRest(GuestMemory mem, java.util.function.LongPredicate skip) {
    byte[] buf = new byte[GuestMemory.PAGE_SIZE];
    for (MemorySlotSpec slot : slots)
      for (long gfn = slot.baseGfn(); gfn < slot.endGfn(); gfn++) {
        if (isRecorded(gfn) || skip.test(gfn)) continue;
        set(gfn, mem.readPage(gfn, buf, 0) ? buf : null, 0);
      }
  }

  /** The per-chunk sums, in MemoryDigester's chunk order. */
  public long[] chunkSums() {
    List<Long> out = new ArrayList<>();
    for (long[] hashes : pageHashes)
      for (int c = 0; c < hashes.length; c += CHUNK_PAGES) {
        long sum = 0;
        for (int p = c; p < Math.min(hashes.length, c + CHUNK_PAGES); p++) sum += hashes[p];
        out.add(sum);
      }
    long[] a = new long[out.size()];
    for (int i = 0; i < a.length; i++) a[i] = out.get(i);
    return a;
  }

  /** The source's side: the sums over a (paused) memory image. */
  public static long[] of(GuestMemory mem) {
    ReceiptDigest d = new ReceiptDigest(mem.slots());
    d.recordRest(mem, gfn -> false);
    return d.chunkSums();
  }

  /** Chunk indexes whose sums differ (a length difference counts the extra chunks). */
  public static List<Integer> differing(long[] a, long[] b) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < Math.max(a.length, b.length); i++)
      if (i >= a.length || i >= b.length || a[i] != b[i]) out.add(i);
    return out;
  }

  /** The guest-physical range of chunk {@code index} ({@link MemoryDigester#rangeOfChunk}). */
  public static ChunkRange rangeOfChunk(List<MemorySlotSpec> slots, int index) {
    return MemoryDigester.rangeOfChunk(slots, (long) CHUNK_PAGES * GuestMemory.PAGE_SIZE, index);
  }

  private int slotIndex(long gfn) {
    for (int i = 0; i < slots.size(); i++) {
      MemorySlotSpec s = slots.get(i);
      if (gfn >= s.baseGfn() && gfn < s.endGfn()) return i;
    }
    return -1;
  }
}
