package io.dbmmigrate.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@link GuestMemory} with page contents allocated lazily: per slot, a directory of chunks (one per
 * 512 pages = 2 MiB of guest memory, allocated on first write into the chunk) holding one {@code
 * byte[4096]} per written page. A never-written page costs nothing; a 64 GiB guest with 1 GiB
 * written holds about 1 GiB of pages plus 2 KiB of directory per touched chunk, wherever in the
 * guest the pages lie.
 *
 * <h2>Concurrency contract</h2>
 *
 * <ul>
 *   <li>Chunk and page allocation: CAS of a null slot (AtomicReferenceArray), the loser uses the
 *       winner's array; allocation never frees.
 *   <li>Guest stores ({@link #storeLong}) are opaque 8-byte stores; their visibility to the host is
 *       ordered by the store window of {@code TlbDomain} (release on exit, acquire by the waiting
 *       invalidator), not by this class.
 *   <li>{@link #readPage} copies with plain reads and may race with guest stores (a torn copy is
 *       tolerated: the dirty log reports that page again). {@link #writePage} and {@link #zeroPage}
 *       run only while no vCPU runs.
 * </ul>
 */
public final class ChunkedGuestMemory implements GuestMemory {
  static final int CHUNK_PAGES_SHIFT = 9;
  static final int CHUNK_PAGES = 1 << CHUNK_PAGES_SHIFT;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  /**
   * Whether the byte[] view supports opaque access. JDK 17 does for aligned offsets; newer JDKs
   * (22+) support only plain access on byte[] views, whose element alignment the JVM does not
   * promise. Plain is then used: an 8-byte aligned store is one instruction on the 64-bit JVMs this
   * runs on, and even a torn value would be harmless here, because a host read that races a guest
   * store (a pre-copy page copy) is followed by a sync that reports the page again, and the
   * host's ordered reads happen after the TLB invalidation's acquire of the store window.
   */
  private static final boolean OPAQUE =
      LONGS.isAccessModeSupported(VarHandle.AccessMode.SET_OPAQUE)
          && LONGS.isAccessModeSupported(VarHandle.AccessMode.GET_OPAQUE);

  private final List<MemorySlotSpec> slots;
  private final MemorySlotSpec[] slotArray;
  /** Per slot: chunk index → array of pages of that chunk. */
  private final AtomicReferenceArray<AtomicReferenceArray<byte[]>>[] directories;
  private final long totalPages;
  private final long gfnLimit;
  private final AtomicLong pagesAllocated = new AtomicLong();
  private final AtomicLong chunksAllocated = new AtomicLong();

  @SuppressWarnings({"unchecked", "rawtypes"}) // generic array of directories
  public ChunkedGuestMemory(List<MemorySlotSpec> slots) {
    this.slots = List.copyOf(slots);
    this.slotArray = this.slots.toArray(new MemorySlotSpec[0]);
    this.directories = new AtomicReferenceArray[slotArray.length];
    long total = 0;
    long limit = 0;
    long prevEnd = -1;
    for (int i = 0; i < slotArray.length; i++) {
      MemorySlotSpec s = slotArray[i];
      if (s.baseGfn() < prevEnd) throw new IllegalArgumentException("slots overlap or are unsorted");
      prevEnd = s.endGfn();
      long chunks = (s.pageCount() + CHUNK_PAGES - 1) >>> CHUNK_PAGES_SHIFT;
      if (chunks > Integer.MAX_VALUE) throw new IllegalArgumentException("slot too large");
      directories[i] = new AtomicReferenceArray<>((int) chunks);
      total += s.pageCount();
      limit = Math.max(limit, s.endGfn());
    }
    this.totalPages = total;
    this.gfnLimit = limit;
  }

  @Override
  public List<MemorySlotSpec> slots() {
    return slots;
  }

  @Override
  public long totalPages() {
    return totalPages;
  }

  @Override
  public long gfnLimit() {
    return gfnLimit;
  }

  @Override
  public MemorySlotSpec slotOf(long gfn) {
    int i = slotIndex(gfn);
    return i < 0 ? null : slotArray[i];
  }

  private int slotIndex(long gfn) {
    for (int i = 0; i < slotArray.length; i++) if (slotArray[i].contains(gfn)) return i;
    return -1;
  }

  private int requireSlot(long gfn) {
    int i = slotIndex(gfn);
    if (i < 0) throw new IndexOutOfBoundsException("gfn " + gfn + " is in no memory slot");
    return i;
  }

  /** The page's bytes, or null when never written. */
  private byte[] pageOrNull(int slot, long gfn) {
    long rel = gfn - slotArray[slot].baseGfn();
    AtomicReferenceArray<byte[]> chunk = directories[slot].get((int) (rel >>> CHUNK_PAGES_SHIFT));
    return chunk == null ? null : chunk.get((int) (rel & (CHUNK_PAGES - 1)));
  }

  /** The page's bytes, allocated (zeros) if never written. */
  private byte[] pageAllocating(int slot, long gfn) {
    long rel = gfn - slotArray[slot].baseGfn();
    AtomicReferenceArray<byte[]> chunk = chunkAllocating(slot, rel);
    int pi = (int) (rel & (CHUNK_PAGES - 1));
    byte[] page = chunk.get(pi);
    if (page == null) {
      byte[] fresh = new byte[PAGE_SIZE];
      if (chunk.compareAndSet(pi, null, fresh)) {
        page = fresh;
        pagesAllocated.incrementAndGet();
      } else {
        page = chunk.get(pi);
      }
    }
    return page;
  }

  /**
   * Installs {@code filled} (a full page of content) as the page at gfn if the page was never
   * written; false when another thread installed one first (filled is then not used).
   */
  private boolean pageInstalling(int slot, long gfn, byte[] filled) {
    long rel = gfn - slotArray[slot].baseGfn();
    if (!chunkAllocating(slot, rel).compareAndSet((int) (rel & (CHUNK_PAGES - 1)), null, filled))
      return false;
    pagesAllocated.incrementAndGet();
    return true;
  }

  /** The chunk holding slot-relative page rel, allocated if absent. */
  private AtomicReferenceArray<byte[]> chunkAllocating(int slot, long rel) {
    AtomicReferenceArray<AtomicReferenceArray<byte[]>> dir = directories[slot];
    int ci = (int) (rel >>> CHUNK_PAGES_SHIFT);
    AtomicReferenceArray<byte[]> chunk = dir.get(ci);
    if (chunk == null) {
      AtomicReferenceArray<byte[]> fresh = new AtomicReferenceArray<>(CHUNK_PAGES);
      if (dir.compareAndSet(ci, null, fresh)) {
        chunk = fresh;
        chunksAllocated.incrementAndGet();
      } else {
        chunk = dir.get(ci);
      }
    }
    return chunk;
  }

  /**
   * Guest store of 8 bytes at {@code byteOffset} (a multiple of 8) of page gfn; the MMU calls it
   * inside a store window, after translation (opaque where the JDK supports it, see {@link
   * #OPAQUE}).
   */
  public void storeLong(long gfn, int byteOffset, long value) {
    byte[] page = pageAllocating(requireSlot(gfn), gfn);
    if (OPAQUE) LONGS.setOpaque(page, byteOffset, value);
    else LONGS.set(page, byteOffset, value);
  }

  /** The 8 bytes at {@code byteOffset} of page gfn (opaque read; 0 for a never-written page). */
  public long readLong(long gfn, int byteOffset) {
    byte[] page = pageOrNull(requireSlot(gfn), gfn);
    if (page == null) return 0L;
    return OPAQUE ? (long) LONGS.getOpaque(page, byteOffset) : (long) LONGS.get(page, byteOffset);
  }

  /** True when the page was ever allocated (written by guest or host). */
  public boolean isAllocated(long gfn) {
    return pageOrNull(requireSlot(gfn), gfn) != null;
  }

  @Override
  public boolean readPage(long gfn, byte[] dst, int off) {
    byte[] page = pageOrNull(requireSlot(gfn), gfn);
    if (page == null) return false;
    System.arraycopy(page, 0, dst, off, PAGE_SIZE); // racy plain copy: tolerated, see class doc
    return true;
  }

  @Override
  public void writePage(long gfn, byte[] src, int off) {
    int slot = requireSlot(gfn);
    byte[] page = pageOrNull(slot, gfn);
    if (page == null) {
      if (isZero(src, off)) return; // keep never-written pages unallocated
      // First write: a copy allocated as a copy (the JIT skips zeroing an array it fills at once),
      // so a fresh page costs one pass over its memory, not two.
      if (pageInstalling(slot, gfn, Arrays.copyOfRange(src, off, off + PAGE_SIZE))) return;
      page = pageOrNull(slot, gfn); // another writer installed it first
    }
    System.arraycopy(src, off, page, 0, PAGE_SIZE);
  }

  @Override
  public void zeroPage(long gfn) {
    byte[] page = pageOrNull(requireSlot(gfn), gfn);
    if (page != null) Arrays.fill(page, (byte) 0);
  }

  private static boolean isZero(byte[] src, int off) {
    for (int i = 0; i < PAGE_SIZE; i += 8) if ((long) LONGS.get(src, off + i) != 0) return false;
    return true;
  }

  @Override
  public long residentBytes() {
    return pagesAllocated.get() * PAGE_SIZE + chunksAllocated.get() * (16L + 4L * CHUNK_PAGES);
  }

  public long pagesAllocated() {
    return pagesAllocated.get();
  }
}
