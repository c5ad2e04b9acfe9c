package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.PageReader;
import io.dbmmigrate.memory.ZeroPage;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.PageBatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Packs pages into page batches (layout: {@link PageBatchFormat}).
 *
 * <p>Threading: one encoder per stream; not thread-safe. Buffers are allocated once and reused,
 * so adding a page allocates nothing. Two kinds:
 *
 * <ul>
 *   <li>{@link #PageBatchEncoder(int, boolean)}: {@link #build} returns a {@link PageBatch} that
 *       owns a copy of its payload; it may be kept and sent at any time (tests, tools).
 *   <li>{@link #forStream(int, boolean)} (the page streams' hot path): {@link #buildOutbound}
 *       returns the encoder's one {@link OutboundBatch}, which gRPC's framer drains inside {@code
 *       onNext}. Uncompressed, a page is not copied when it is added (only tested for zeros, in
 *       place); it is copied once, when the batch is drained, straight from guest memory towards
 *       the transport's buffer (see there). Compressed, pages are copied into a batch buffer as
 *       they are added, and LZ4 needs them there. Contract: a built batch is valid until the next
 *       build or {@link #discard}; never use it with a transport that keeps message objects for
 *       later (in-process without serializing on send, retries).
 * </ul>
 *
 * <p>Pages are read while the guest may still write them (pre-copy): a torn copy, or a page that
 * turned from zero to non-zero between add and drain, is harmless because the dirty log reports
 * the page again in a later round ({@link OutboundBatch}).
 */
public final class PageBatchEncoder {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  /** Null for an encoder whose batches are {@link PageBatch} messages. */
  private final OutboundBatch outbound;
  /** True when pages are copied into {@link #raw} as they are added (not a stream's uncompressed batches). */
  private final boolean copyOnAdd;
  private final byte[] raw;
  private final byte[] compressed;
  private final LZ4Compressor lz4;
  private final int maxBatchBytes;
  private final CRC32C crc = new CRC32C();
  /** This encoder's view of the shared direct zero page, for in-place zero tests ({@link ZeroPage}). */
  private final ByteBuffer zeroPage;
  /** End of the page area (the next page's content goes here). */
  private int position;
  /** The index words of the records so far (appended behind the pages at build). */
  private final long[] index;
  /** The index words as they go out, for a stream's uncompressed batches (little-endian). */
  private final byte[] indexBytes;
  private int pageCount;
  private int zeroPages;
  private GuestMemory readerMemory;
  private PageReader reader;

  /**
   * An encoder whose {@link #build}s return self-contained {@link PageBatch} messages.
   *
   * @param maxBatchBytes largest uncompressed payload, {@link PageBatchFormat#MIN_BATCH_BYTES} ..
   *     {@link PageBatchFormat#MAX_BATCH_BYTES}
   * @param compressLz4 LZ4-compress payloads (sent uncompressed when that is not smaller)
   */
  public PageBatchEncoder(int maxBatchBytes, boolean compressLz4) {
    this(maxBatchBytes, compressLz4, false);
  }

  /** An encoder for one page stream: {@link #buildOutbound} (see the class doc for the contract). */
  public static PageBatchEncoder forStream(int maxBatchBytes, boolean compressLz4) {
    return new PageBatchEncoder(maxBatchBytes, compressLz4, true);
  }

  private PageBatchEncoder(int maxBatchBytes, boolean compressLz4, boolean stream) {
    PageBatchFormat.checkBatchBytes(maxBatchBytes);
    this.outbound = stream ? new OutboundBatch() : null;
    this.copyOnAdd = !stream || compressLz4;
    this.raw = copyOnAdd ? new byte[maxBatchBytes] : null;
    if (compressLz4) {
      this.lz4 = LZ4Factory.fastestInstance().fastCompressor();
      this.compressed = new byte[lz4.maxCompressedLength(maxBatchBytes)];
    } else {
      this.lz4 = null;
      this.compressed = null;
    }
    this.maxBatchBytes = maxBatchBytes;
    this.index = new long[maxBatchBytes / PageBatchFormat.HEADER_BYTES];
    this.indexBytes = copyOnAdd ? null : new byte[index.length * PageBatchFormat.HEADER_BYTES];
    this.zeroPage = copyOnAdd ? null : ZeroPage.view();
  }

  /**
   * Appends the page at gfn, read from mem; a page that reads as zeros becomes an 8-byte marker.
   * A stream's uncompressed encoder only tests the page for zeros here, in place; its content is
   * copied when the batch is drained ({@link OutboundBatch}).
   *
   * @return false when the batch is full (the page was not added; build, then add again)
   */
  public boolean add(long gfn, GuestMemory mem) {
    // A page may turn out to be zero only after it was read, so room for a full record is needed.
    if (!hasRoomForFullRecord()) return false;
    if (copyOnAdd) appendRecord(gfn, mem.readPage(gfn, raw, position));
    else appendInPlace(gfn, readerOf(mem).page(gfn));
    return true;
  }

  /**
   * Appends a page given as bytes (tests and tools); same rules as {@link #add(long, GuestMemory)}.
   *
   * @throws IllegalStateException on a stream's uncompressed encoder, which reads guest memory only
   */
  public boolean add(long gfn, byte[] page, int off) {
    if (!copyOnAdd) throw new IllegalStateException("a stream's uncompressed encoder reads pages from guest memory");
    if (!hasRoomForFullRecord()) return false;
    System.arraycopy(page, off, raw, position, GuestMemory.PAGE_SIZE);
    appendRecord(gfn, true);
    return true;
  }

  /** Room for one more page's content plus the index words of every record including it. */
  private boolean hasRoomForFullRecord() {
    return maxBatchBytes - position - (long) (pageCount + 1) * PageBatchFormat.HEADER_BYTES
        >= GuestMemory.PAGE_SIZE;
  }

  /**
   * Finishes the record whose content was just placed at {@code position}: a zero record when the
   * page is absent or all zeros (its content is dropped), a full record otherwise.
   */
  private void appendRecord(long gfn, boolean present) {
    final int at = position;
    if (!present || isZero(raw, at)) {
      index[pageCount] = gfn | PageBatchFormat.ZERO_FLAG;
      zeroPages++;
    } else {
      index[pageCount] = gfn;
      position = at + GuestMemory.PAGE_SIZE;
      // Uncompressed batches: the CRC32C of the page while it is still in L1, so each page is
      // read once after the copy (zero test + CRC), not again over the whole batch at build.
      if (lz4 == null) crc.update(raw, at, GuestMemory.PAGE_SIZE);
    }
    pageCount++;
  }

  /**
   * A stream's uncompressed record: zero when the page was never written or reads as zeros now (a
   * non-zero page's test ends at its first non-zero bytes), full otherwise; nothing is copied.
   */
  private void appendInPlace(long gfn, ByteBuffer page) {
    if (page == null || ZeroPage.isZero(page, zeroPage)) {
      index[pageCount] = gfn | PageBatchFormat.ZERO_FLAG;
      zeroPages++;
    } else {
      index[pageCount] = gfn;
      position += GuestMemory.PAGE_SIZE;
    }
    pageCount++;
  }

  private PageReader readerOf(GuestMemory mem) {
    if (mem != readerMemory) {
      reader = mem.newReader();
      readerMemory = mem;
    }
    return reader;
  }

  private static boolean isZero(byte[] buf, int off) {
    return Arrays.mismatch(buf, off, off + GuestMemory.PAGE_SIZE, ZERO_PAGE, 0, ZERO_PAGE.length)
        < 0;
  }

  public boolean isEmpty() {
    return pageCount == 0;
  }

  public int pageCount() {
    return pageCount;
  }

  public int zeroPages() {
    return zeroPages;
  }

  /** Uncompressed payload bytes so far (page area and index). */
  public int rawBytes() {
    return position + pageCount * PageBatchFormat.HEADER_BYTES;
  }

  /**
   * Finishes the batch as a self-contained message: compresses (when enabled and smaller),
   * computes the CRC32C of the payload as sent, and resets the encoder for the next batch.
   *
   * @throws IllegalStateException on a stream's encoder ({@link #buildOutbound})
   */
  public PageBatch build(String sessionId, int stream, int round, int sequence) {
    if (outbound != null) throw new IllegalStateException("a stream's encoder builds with buildOutbound");
    final int rawLen = appendIndexToRaw();
    final int compressedLen = compress(rawLen);
    final byte[] payload = compressedLen < 0 ? raw : compressed;
    final int payloadLen = compressedLen < 0 ? rawLen : compressedLen;
    PageBatch batch =
        PageBatch.newBuilder()
            .setSessionId(sessionId)
            .setStream(stream)
            .setRound(round)
            .setSequence(sequence)
            .setPageCount(pageCount)
            .setRawBytes(rawLen)
            .setCompression(compressedLen < 0 ? Compression.COMPRESSION_NONE : Compression.COMPRESSION_LZ4)
            .setCrc32C(payloadCrc(payload, payloadLen))
            .setPayload(ByteString.copyFrom(payload, 0, payloadLen))
            .build();
    reset();
    return batch;
  }

  /**
   * Finishes a stream's batch: the encoder's one {@link OutboundBatch}, valid until the next build
   * or {@link #discard} (see the class doc), and resets the encoder for the next batch.
   *
   * @throws IllegalStateException on an encoder made by the constructor ({@link #build})
   */
  public OutboundBatch buildOutbound(String sessionId, int stream, int round, int sequence) {
    if (outbound == null) throw new IllegalStateException("not a stream's encoder: build with build()");
    if (copyOnAdd) { // compressed: the payload is known now, its CRC too
      final int rawLen = appendIndexToRaw();
      final int compressedLen = compress(rawLen);
      final byte[] payload = compressedLen < 0 ? raw : compressed;
      final int payloadLen = compressedLen < 0 ? rawLen : compressedLen;
      final int compression =
          (compressedLen < 0 ? Compression.COMPRESSION_NONE : Compression.COMPRESSION_LZ4).getNumber();
      outbound.setBytes(
          sessionId, stream, round, sequence, pageCount, rawLen, compression, payload, payloadLen,
          payloadCrc(payload, payloadLen));
    } else { // pages are read, and the CRC taken, as the batch is drained
      for (int i = 0; i < pageCount; i++)
        LONG_LE.set(indexBytes, i * PageBatchFormat.HEADER_BYTES, index[i]);
      outbound.setPages(
          sessionId, stream, round, sequence, index, pageCount, pageCount - zeroPages, reader, indexBytes);
    }
    reset();
    return outbound;
  }

  /** Drops the batch being filled, and a stream's built batch that was not sent. */
  public void discard() {
    reset();
    crc.reset();
    if (outbound != null) outbound.clear();
  }

  /** Writes the index words behind the pages in {@link #raw}; returns the raw payload's length. */
  private int appendIndexToRaw() {
    final int indexAt = position;
    for (int i = 0; i < pageCount; i++)
      LONG_LE.set(raw, indexAt + i * PageBatchFormat.HEADER_BYTES, index[i]);
    final int rawLen = indexAt + pageCount * PageBatchFormat.HEADER_BYTES;
    if (lz4 == null) crc.update(raw, indexAt, rawLen - indexAt);
    return rawLen;
  }

  /** LZ4-compresses raw into {@link #compressed}: its length, or -1 when not compressing or not smaller. */
  private int compress(int rawLen) {
    if (lz4 == null || rawLen == 0) return -1;
    final int n = lz4.compress(raw, 0, rawLen, compressed, 0, compressed.length);
    return n < rawLen ? n : -1;
  }

  /**
   * The CRC32C of the payload as sent (uncompressed: accumulated page by page while each was in
   * L1, see {@link #appendRecord}); the next batch starts a fresh one.
   */
  private int payloadCrc(byte[] payload, int payloadLen) {
    if (lz4 != null) { // compressed (or attempted): computed over the payload as sent
      crc.reset();
      crc.update(payload, 0, payloadLen);
    }
    final int value = (int) crc.getValue();
    crc.reset();
    return value;
  }

  private void reset() {
    position = 0;
    pageCount = 0;
    zeroPages = 0;
  }
}
