package io.dbmmigrate.memory;

import java.util.List;

/**
 * Guest-physical memory of a VM, as the host sees it: real bytes in 4 KiB pages, allocated lazily
 * (a never-written page reads as zeros and costs no memory).
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

  /** Host write of a zero page (frees nothing; a never-written page stays unallocated). */
  void zeroPage(long gfn);

  /** Bytes of host memory currently allocated for page contents. */
  long residentBytes();
}
