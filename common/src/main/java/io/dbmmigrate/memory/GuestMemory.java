package io.dbmmigrate.memory;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Guest-physical memory of a VM, as the host sees it: real bytes in 4 KiB pages, allocated lazily
 * (a never-written page reads as zeros and costs no memory). The implementation is {@link
 * ChunkedGuestMemory} (off the Java heap, in mapped regions of a sparse file); the byte-array
 * methods serve tools and tests, the page path uses the {@link ByteBuffer} ones and {@link
 * PageReader}, which read and write the mapping in place.
 *
 * <p>This is the host's view (the migration engine reads and writes pages through it); guest stores
 * go through the stage-2 MMU instead. Concurrency: {@link #readPage} may race with guest stores to
 * the same page; the dirty log guarantees such a page is collected again by a later sync, so a torn
 * copy is always resent. {@link #writePage} is only used while no vCPU runs (destination receiving,
 * or a paused VM).
 */
public interface GuestMemory {
  int PAGE_SHIFT = 12;
  int PAGE_SIZE = 1 << PAGE_SHIFT;

  /** The slots, in ascending base gfn order. */
  List<MemorySlotSpec> slots();

  /** Total number of pages over all slots. */
  long totalPages();

  /** One past the highest gfn of any slot (bitmaps indexed by gfn have this many bits). */
  long gfnLimit();

  /** The slot containing gfn, or null. */
  MemorySlotSpec slotOf(long gfn);

  /**
   * Copies the page at gfn into {@code dst[off, off + PAGE_SIZE)}.
   *
   * @return false when the page was never written (it reads as zeros; dst is then left untouched)
   * @throws IndexOutOfBoundsException when gfn is in no slot
   */
  boolean readPage(long gfn, byte[] dst, int off);

  /** Host write of a whole page (bypasses the MMU; also allowed on read-only slots). */
  void writePage(long gfn, byte[] src, int off);

  /** True when the page was ever written (by guest or host); a false page reads as zeros. */
  default boolean isWritten(long gfn) {
    return readPage(gfn, new byte[PAGE_SIZE], 0);
  }

  /**
   * Copies the page at gfn to {@code dst} at its position and advances the position by PAGE_SIZE
   * (one copy, no allocation).
   *
   * @return false when the page was never written (dst is then left untouched)
   */
  default boolean readPage(long gfn, ByteBuffer dst) {
    byte[] tmp = new byte[PAGE_SIZE];
    if (!readPage(gfn, tmp, 0)) return false;
    dst.put(tmp);
    return true;
  }

  /**
   * Host write of a whole page from {@code src[srcIndex, srcIndex + PAGE_SIZE)}, an absolute read
   * that leaves src's position alone (one copy, no allocation).
   */
  default void writePage(long gfn, ByteBuffer src, int srcIndex) {
    byte[] tmp = new byte[PAGE_SIZE];
    src.get(srcIndex, tmp);
    writePage(gfn, tmp, 0);
  }

  /**
   * Host write of {@code pages} pages of consecutive gfns from {@code gfn} on, whose contents lie
   * back to back in {@code src} from {@code srcIndex} (an absolute read that leaves src's position
   * alone). The same as writing them one by one; an implementation may place the run at once.
   */
  default void writePages(long gfn, int pages, ByteBuffer src, int srcIndex) {
    for (int k = 0; k < pages; k++) writePage(gfn + k, src, srcIndex + k * PAGE_SIZE);
  }

  /**
   * A reader with its own views of the memory, for one thread: {@link PageReader#page} returns a
   * view of a page in place.
   */
  default PageReader newReader() {
    return new CopyingPageReader(this);
  }

  /** Host write of a zero page (frees nothing; a never-written page stays unallocated). */
  void zeroPage(long gfn);

  /** Bytes of host memory currently allocated for page contents. */
  long residentBytes();

  /**
   * Releases the host memory now; nobody may access the memory afterwards (the owner guarantees
   * that). Idempotent. The default does nothing (heap-backed memories are collected).
   */
  default void close() {}
}
