package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.PageBatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Packs pages into {@link PageBatch} messages (layout: {@link PageBatchFormat}).
 *
 * <p>Threading: one encoder per stream; not thread-safe. Buffers are allocated once and reused,
 * so adding a page allocates nothing. Two ways to hand out payloads:
 *
 * <ul>
 *   <li>{@link #PageBatchEncoder(int, boolean)}: each built message owns a copy of its payload; it
 *       may be kept and sent at any time (tests, tools, in-process transports).
 *   <li>{@link #PageBatchEncoder(int, boolean, int)} (the page streams' hot path): pages are read
 *       into one of {@link #bufferCount()} payload buffers (a ring) and the built message wraps
 *       that buffer without a copy ({@link UnsafeByteOperations#unsafeWrap}). Contract: the
 *       payload of a built message stays unchanged only until {@code bufferCount() - 1} further
 *       messages have been built; the next build refills its buffer, so the message must be fully
 *       serialized (or dropped) by then. gRPC's Netty client call serializes a message into its own
 *       transport buffers inside {@code onNext} (MessageFramer) when the call keeps no copy for a
 *       retry (the source's channels disable retries), so a ring of two already suffices; {@value
 *       #DEFAULT_BUFFERS} leaves margin. Never use this mode with a transport that passes message
 *       objects by reference (in-process) or with retries enabled.
 * </ul>
 *
 * <p>Pages are read while the guest may still write them (pre-copy): a torn copy is harmless
 * because the dirty log reports the page again in a later round.
 */
public final class PageBatchEncoder {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  /** Payload buffers in the ring by default. */
  public static final int DEFAULT_BUFFERS = 4;

  private final boolean aliasPayloads;
  private final byte[][] rawRing;
  private final byte[][] compressedRing;
  private int current;
  private byte[] raw;
  private final LZ4Compressor lz4;
  private final CRC32C crc = new CRC32C();
  /** End of the page area (the next page's content goes here). */
  private int position;
  /** The index words of the records so far (appended behind the pages at build). */
  private final long[] index;
  private int pageCount;
  private int zeroPages;

  /**
   * @param maxBatchBytes largest uncompressed payload, {@link PageBatchFormat#MIN_BATCH_BYTES} ..
   *     {@link PageBatchFormat#MAX_BATCH_BYTES}
   * @param compressLz4 LZ4-compress payloads (sent uncompressed when that is not smaller)
   */
  public PageBatchEncoder(int maxBatchBytes, boolean compressLz4) {
    this(maxBatchBytes, compressLz4, 1, false);
  }

  /**
   * An encoder whose messages alias a ring of payload buffers (see the class doc for the contract).
   *
   * @param buffers payload buffers in the ring (at least 2): a built message's payload stays valid
   *     until {@code buffers - 1} further builds
   */
  public PageBatchEncoder(int maxBatchBytes, boolean compressLz4, int buffers) {
    this(maxBatchBytes, compressLz4, buffers, true);
    if (buffers < 2) throw new IllegalArgumentException("a buffer ring needs at least 2 buffers, got " + buffers);
  }

  private PageBatchEncoder(int maxBatchBytes, boolean compressLz4, int buffers, boolean aliasPayloads) {
    PageBatchFormat.checkBatchBytes(maxBatchBytes);
    if (buffers < 1) throw new IllegalArgumentException("buffers must be positive, got " + buffers);
    this.aliasPayloads = aliasPayloads;
    this.rawRing = new byte[buffers][maxBatchBytes];
    if (compressLz4) {
      this.lz4 = LZ4Factory.fastestInstance().fastCompressor();
      this.compressedRing = new byte[buffers][lz4.maxCompressedLength(maxBatchBytes)];
    } else {
      this.lz4 = null;
      this.compressedRing = null;
    }
    this.raw = rawRing[0];
    this.index = new long[maxBatchBytes / PageBatchFormat.HEADER_BYTES];
  }

  /**
   * Payload buffers in the ring (see the class doc for how long a built payload stays valid); 1
   * when built messages own a copy of their payload.
   */
  public int bufferCount() {
    return rawRing.length;
  }

  /**
   * Appends the page at gfn, read from mem; a page that reads as zeros becomes an 8-byte marker.
   *
   * @return false when the batch is full (the page was not added; build, then add again)
   */
  public boolean add(long gfn, GuestMemory mem) {
    // A page may turn out to be zero only after it was read, so room for a full record is needed.
    if (!hasRoomForFullRecord()) return false;
    appendRecord(gfn, mem.readPage(gfn, raw, position));
    return true;
  }

  /** Appends a page given as bytes (tests and tools); same rules as {@link #add(long, GuestMemory)}. */
  public boolean add(long gfn, byte[] page, int off) {
    if (!hasRoomForFullRecord()) return false;
    System.arraycopy(page, off, raw, position, GuestMemory.PAGE_SIZE);
    appendRecord(gfn, true);
    return true;
  }

  /** Room for one more page's content plus the index words of every record including it. */
  private boolean hasRoomForFullRecord() {
    return raw.length - position - (long) (pageCount + 1) * PageBatchFormat.HEADER_BYTES
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
   * Finishes the batch: compresses (when enabled and smaller), computes the CRC32C of the payload
   * as sent, and resets the encoder for the next batch, which fills the next buffer of the ring.
   * In ring mode the message's payload aliases a ring buffer: see the class doc for how long it
   * stays valid.
   */
  public PageBatch build(String sessionId, int stream, int round, int sequence) {
    final int indexAt = position;
    for (int i = 0; i < pageCount; i++)
      LONG_LE.set(raw, indexAt + i * PageBatchFormat.HEADER_BYTES, index[i]);
    final int rawLen = indexAt + pageCount * PageBatchFormat.HEADER_BYTES;
    if (lz4 == null) crc.update(raw, indexAt, rawLen - indexAt);
    byte[] payload = raw;
    int payloadLen = rawLen;
    Compression compression = Compression.COMPRESSION_NONE;
    if (lz4 != null && rawLen > 0) {
      final byte[] compressed = compressedRing[current];
      int n = lz4.compress(raw, 0, rawLen, compressed, 0, compressed.length);
      if (n < rawLen) {
        payload = compressed;
        payloadLen = n;
        compression = Compression.COMPRESSION_LZ4;
      }
    }
    if (compression != Compression.COMPRESSION_NONE || lz4 != null) {
      crc.reset(); // compressed (or attempted): the CRC covers the payload as sent
      crc.update(payload, 0, payloadLen);
    }
    final int crcValue = (int) crc.getValue();
    crc.reset(); // the next batch's records start a fresh CRC
    PageBatch batch =
        PageBatch.newBuilder()
            .setSessionId(sessionId)
            .setStream(stream)
            .setRound(round)
            .setSequence(sequence)
            .setPageCount(pageCount)
            .setRawBytes(rawLen)
            .setCompression(compression)
            .setCrc32C(crcValue)
            .setPayload(
                !aliasPayloads
                    ? ByteString.copyFrom(payload, 0, payloadLen)
                    : payloadLen == 0 ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(payload, 0, payloadLen))
            .build();
    current = current + 1 == rawRing.length ? 0 : current + 1;
    raw = rawRing[current];
    position = 0;
    pageCount = 0;
    zeroPages = 0;
    return batch;
  }
}
