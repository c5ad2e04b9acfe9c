package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import io.dbmmigrate.machine.GuestMemory;
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
 * so adding a page allocates nothing; {@link #build} allocates the message (gRPC needs its own
 * copy).
 *
 * <p>Pages are read while the guest may still write them (pre-copy): a torn copy is harmless
 * because the dirty log reports the page again in a later round.
 */
public final class PageBatchEncoder {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  private final byte[] raw;
  private final byte[] compressed;
  private final LZ4Compressor lz4;
  private final CRC32C crc = new CRC32C();
  private int position;
  private int pageCount;
  private int zeroPages;

  /**
   * @param maxBatchBytes largest uncompressed payload, {@link PageBatchFormat#MIN_BATCH_BYTES} ..
   *     {@link PageBatchFormat#MAX_BATCH_BYTES}
   * @param compressLz4 LZ4-compress payloads (sent uncompressed when that is not smaller)
   */
  public PageBatchEncoder(int maxBatchBytes, boolean compressLz4) {
    PageBatchFormat.checkBatchBytes(maxBatchBytes);
    this.raw = new byte[maxBatchBytes];
    if (compressLz4) {
      this.lz4 = LZ4Factory.fastestInstance().fastCompressor();
      this.compressed = new byte[lz4.maxCompressedLength(maxBatchBytes)];
    } else {
      this.lz4 = null;
      this.compressed = null;
    }
  }

  /**
   * Appends the page at gfn, read from mem; a page that reads as zeros becomes an 8-byte marker.
   *
   * @return false when the batch is full (the page was not added; build, then add again)
   */
  public boolean add(long gfn, GuestMemory mem) {
    final int pos = position;
    // A page may turn out to be zero only after it was read, so room for a full record is needed.
    if (raw.length - pos < PageBatchFormat.FULL_RECORD_BYTES) return false;
    final int data = pos + PageBatchFormat.HEADER_BYTES;
    final boolean present = mem.readPage(gfn, raw, data);
    if (!present || isZero(raw, data)) {
      LONG_LE.set(raw, pos, gfn | PageBatchFormat.ZERO_FLAG);
      position = data;
      zeroPages++;
    } else {
      LONG_LE.set(raw, pos, gfn);
      position = data + GuestMemory.PAGE_SIZE;
    }
    pageCount++;
    return true;
  }

  /** Appends a page given as bytes (tests and tools); same rules as {@link #add(long, GuestMemory)}. */
  public boolean add(long gfn, byte[] page, int off) {
    final int pos = position;
    if (raw.length - pos < PageBatchFormat.FULL_RECORD_BYTES) return false;
    final int data = pos + PageBatchFormat.HEADER_BYTES;
    if (isZero(page, off)) {
      LONG_LE.set(raw, pos, gfn | PageBatchFormat.ZERO_FLAG);
      position = data;
      zeroPages++;
    } else {
      LONG_LE.set(raw, pos, gfn);
      System.arraycopy(page, off, raw, data, GuestMemory.PAGE_SIZE);
      position = data + GuestMemory.PAGE_SIZE;
    }
    pageCount++;
    return true;
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

  /** Uncompressed payload bytes so far. */
  public int rawBytes() {
    return position;
  }

  /**
   * Finishes the batch: compresses (when enabled and smaller), computes the CRC32C of the payload
   * as sent, and resets the encoder for the next batch.
   */
  public PageBatch build(String sessionId, int stream, int round, int sequence) {
    final int rawLen = position;
    byte[] payload = raw;
    int payloadLen = rawLen;
    Compression compression = Compression.COMPRESSION_NONE;
    if (lz4 != null && rawLen > 0) {
      int n = lz4.compress(raw, 0, rawLen, compressed, 0, compressed.length);
      if (n < rawLen) {
        payload = compressed;
        payloadLen = n;
        compression = Compression.COMPRESSION_LZ4;
      }
    }
    crc.reset();
    crc.update(payload, 0, payloadLen);
    PageBatch batch =
        PageBatch.newBuilder()
            .setSessionId(sessionId)
            .setStream(stream)
            .setRound(round)
            .setSequence(sequence)
            .setPageCount(pageCount)
            .setRawBytes(rawLen)
            .setCompression(compression)
            .setCrc32C((int) crc.getValue())
            .setPayload(ByteString.copyFrom(payload, 0, payloadLen))
            .build();
    position = 0;
    pageCount = 0;
    zeroPages = 0;
    return batch;
  }
}
