package io.dbmmigrate.wire;

import io.dbmmigrate.memory.GuestMemory;

/**
 * The record layout inside a {@code PageBatch} payload (before compression), little-endian:
 *
 * <pre>
 *  63 62                                                  0
 * +--+----------------------------------------------------+
 * |Z |                        gfn                         |   8-byte header word
 * +--+----------------------------------------------------+
 * |        4096 bytes of page content (only when Z = 0)    |
 * +-------------------------------------------------------+
 * </pre>
 *
 * Z = 1 marks a zero page: the receiver zeroes the page, no content follows.
 */
public final class PageBatchFormat {
  private PageBatchFormat() {}

  public static final int HEADER_BYTES = 8;
  public static final long ZERO_FLAG = 1L << 63;
  public static final long GFN_MASK = ~ZERO_FLAG;
  /** Bytes of a full (non-zero) page record. */
  public static final int FULL_RECORD_BYTES = HEADER_BYTES + GuestMemory.PAGE_SIZE;
  /** The smallest batch that can hold one full page record. */
  public static final int MIN_BATCH_BYTES = FULL_RECORD_BYTES;
  /** Upper bound of a batch payload this implementation accepts (64 MiB). */
  public static final int MAX_BATCH_BYTES = 64 << 20;

  public static void checkBatchBytes(int maxBatchBytes) {
    if (maxBatchBytes < MIN_BATCH_BYTES || maxBatchBytes > MAX_BATCH_BYTES)
      throw new IllegalArgumentException(
          "batch size must be between "
              + MIN_BATCH_BYTES
              + " and "
              + MAX_BATCH_BYTES
              + " bytes, not "
              + maxBatchBytes);
  }
}
