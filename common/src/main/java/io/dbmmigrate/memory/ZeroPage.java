package io.dbmmigrate.memory;

import java.nio.ByteBuffer;

/** A page of zeros, for zero tests ({@code mismatch}) and for hashing never-written pages. */
public final class ZeroPage {
  private ZeroPage() {}

  /** Never written: shared, read-only by contract. */
  static final byte[] ARRAY = new byte[GuestMemory.PAGE_SIZE];

  /** A fresh read-only view of a direct zero page (callers keep one; views own their position). */
  public static ByteBuffer view() {
    return DIRECT.duplicate();
  }

  private static final ByteBuffer DIRECT =
      ByteBuffer.allocateDirect(GuestMemory.PAGE_SIZE).asReadOnlyBuffer();

  /**
   * True when the page at {@code page.position()} .. {@code + PAGE_SIZE} is all zeros; {@code
   * zeros} is a caller-owned {@link #view()}. Vectorized ({@link ByteBuffer#mismatch}); leaves
   * both buffers' positions and limits as they were.
   */
  public static boolean isZero(ByteBuffer page, ByteBuffer zeros) {
    final int pos = page.position();
    final int lim = page.limit();
    page.limit(pos + GuestMemory.PAGE_SIZE);
    zeros.clear();
    final boolean zero = page.mismatch(zeros) < 0;
    page.limit(lim);
    return zero;
  }
}
