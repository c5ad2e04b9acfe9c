package io.dbmmigrate.wire;

import io.dbmmigrate.memory.GuestMemory;

/**
 * The layout of a {@code PageBatch} payload (before compression), wire contract version {@value
 * #CONTRACT_VERSION}, little-endian: the contents of the batch's non-zero pages, back to back,
 * then one 8-byte index word per record, in record order.
 *
 * <pre>
 * +-------------------------------------------------------+
 * | 4096 bytes: content of the 1st non-zero record         |
 * | 4096 bytes: content of the 2nd non-zero record  ...    |   page area: 4096 * (non-zero records)
 * +--+----------------------------------------------------+
 * |Z |                  gfn of record 0                   |   index: 8 * page_count
 * |Z |                  gfn of record 1  ...              |
 * +--+----------------------------------------------------+
 *  63 62                                                  0
 * </pre>
 *
 * Z = 1 marks a zero page: the receiver zeroes the page, and the page area holds nothing for it.
 * So raw_bytes = 4096 * (records with Z = 0) + 8 * page_count exactly.
 *
 * <p>Why the index is at the end (version 1 put an 8-byte header before each page): pages of
 * consecutive gfns lie back to back in the payload, so the receiver places a run of them into
 * guest memory with one positional write instead of one per page (the write is a system call;
 * see {@code ChunkedGuestMemory}), and the sender appends the index last, after the pages' CRC
 * was computed while each page was still in cache.
 */
public final class PageBatchFormat {
  private PageBatchFormat() {}

  /**
   * Version of the wire contract ({@code BeginSessionRequest.protocol_version}): 2 since the index
   * moved behind the pages (a node refuses every other version).
   */
  public static final int CONTRACT_VERSION = 2;

  /** Bytes of one index word. */
  public static final int HEADER_BYTES = 8;
  public static final long ZERO_FLAG = 1L << 63;
  public static final long GFN_MASK = ~ZERO_FLAG;
  /** Bytes of a full (non-zero) page record: its content and its index word. */
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
