package io.dbmmigrate.memory;

import java.nio.ByteBuffer;

/**
 * Reads guest pages in place, for one thread (scanner, sender, digester). Obtained from {@link
 * GuestMemory#newReader()}; not thread-safe.
 */
public interface PageReader {
  /**
   * A view of page gfn: position at the page's first byte, limit after its last, valid until the
   * next call on this reader; null when the page was never written (it reads as zeros). Read it,
   * never write it, and never keep it. Consumers that advance its position (CRC, digest) may.
   *
   * @throws IndexOutOfBoundsException when gfn is in no slot
   */
  ByteBuffer page(long gfn);

  /**
   * The contiguous pages {@code [gfn, gfn + pages)} of one slot, copied into {@code bounce} (a
   * buffer of at least {@code pages * PAGE_SIZE} bytes; never-written pages as zeros), when the
   * memory can do that in bulk more cheaply than page by page; null otherwise (the caller then
   * uses {@link #page} per page). The returned buffer is {@code bounce}, flipped; valid until the
   * next call. Default: null.
   */
  default ByteBuffer run(long gfn, int pages, ByteBuffer bounce) {
    return null;
  }
}
