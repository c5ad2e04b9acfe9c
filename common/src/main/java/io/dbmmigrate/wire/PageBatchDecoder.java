package io.dbmmigrate.wire;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.PageBatch;
import java.lang.invoke.MethodHandles;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Checks and decodes {@link PageBatch} payloads (layout: {@link PageBatchFormat}) into an index of
 * records over a reused buffer, so that a receiver can validate every record of a batch before it
 * applies any of them.
 *
 * <p>Every field of the batch is treated as hostile: the CRC is checked first, sizes are bounded
 * before any allocation, LZ4 uses the safe decompressor, and the record count must match.
 *
 * <p>No copy of an uncompressed payload: when the payload is one contiguous array (what protobuf
 * parsing produces), the CRC, the index and the applier read that array in place ({@link #buffer()}
 * may then be the message's own array: read it, never write it). Other payload shapes are copied
 * into a reused buffer first.
 *
 * <p>Threading: one decoder per stream; not thread-safe. After {@link #decode} returns, {@link
 * #gfn}, {@link #isZero} and {@link #dataOffset} describe the batch until the next call.
 */
public final class PageBatchDecoder {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final int maxBatchBytes;
  private final LZ4SafeDecompressor lz4 = LZ4Factory.fastestInstance().safeDecompressor();
  private final CRC32C crc = new CRC32C();
  private byte[] wire = new byte[0];
  private byte[] raw = new byte[0];
  private final ArrayCapture capture = new ArrayCapture();
  private byte[] data;
  private long[] words = new long[0];
  private int[] offsets = new int[0];
  private int count;

  /** @param maxBatchBytes the largest uncompressed payload accepted */
  public PageBatchDecoder(int maxBatchBytes) {
    PageBatchFormat.checkBatchBytes(maxBatchBytes);
    this.maxBatchBytes = maxBatchBytes;
  }

  /** Decodes the batch; afterwards {@link #count()} records are available. */
  public void decode(PageBatch batch) throws BatchFormatException {
    final int rawLen = batch.getRawBytes();
    final int wireLen = batch.getPayload().size();
    if (rawLen < 0 || rawLen > maxBatchBytes)
      throw new BatchFormatException(
          "raw_bytes " + Integer.toUnsignedString(rawLen) + " exceeds the batch limit " + maxBatchBytes);
    if (wireLen > PageBatchFormat.MAX_BATCH_BYTES + (PageBatchFormat.MAX_BATCH_BYTES >>> 8) + 64)
      throw new BatchFormatException("payload of " + wireLen + " bytes is oversized");
    final ByteString payload = batch.getPayload();
    final byte[] in;
    final int inOff;
    if (capture.capture(payload)) {
      in = capture.array;
      inOff = capture.offset;
    } else {
      if (wire.length < wireLen) wire = new byte[Math.max(wireLen, wire.length * 2)];
      payload.copyTo(wire, 0);
      in = wire;
      inOff = 0;
    }
    capture.clear();
    crc.reset();
    crc.update(in, inOff, wireLen);
    if ((int) crc.getValue() != batch.getCrc32C())
      throw new BatchFormatException(
          String.format(
              "CRC32C mismatch: computed %08x, batch says %08x",
              (int) crc.getValue(), batch.getCrc32C()));
    final Compression compression = batch.getCompression();
    if (compression == Compression.COMPRESSION_NONE) {
      if (wireLen != rawLen)
        throw new BatchFormatException(
            "uncompressed payload is " + wireLen + " bytes but raw_bytes says " + rawLen);
      data = in;
      index(inOff, rawLen, batch.getPageCount());
    } else if (compression == Compression.COMPRESSION_LZ4) {
      if (raw.length < rawLen) raw = new byte[Math.max(rawLen, raw.length * 2)];
      final int n;
      try {
        n = lz4.decompress(in, inOff, wireLen, raw, 0, rawLen);
      } catch (LZ4Exception e) {
        throw new BatchFormatException("LZ4 payload is corrupt: " + e.getMessage());
      }
      if (n != rawLen)
        throw new BatchFormatException("LZ4 payload decompressed to " + n + " bytes, not " + rawLen);
      data = raw;
      index(0, rawLen, batch.getPageCount());
    } else {
      throw new BatchFormatException("unknown compression " + batch.getCompressionValue());
    }
  }

  /** Indexes the rawLen bytes of records at {@code data[base ..]}; offsets are into data. */
  private void index(int base, int rawLen, int expected) throws BatchFormatException {
    if (expected < 0 || expected > rawLen / PageBatchFormat.HEADER_BYTES)
      throw new BatchFormatException(
          "page_count " + Integer.toUnsignedString(expected) + " cannot fit in " + rawLen + " bytes");
    if (words.length < expected) {
      words = new long[expected];
      offsets = new int[expected];
    }
    final byte[] d = data;
    int pos = 0;
    int n = 0;
    while (pos < rawLen) {
      if (n == expected)
        throw new BatchFormatException("more records than page_count " + expected);
      if (rawLen - pos < PageBatchFormat.HEADER_BYTES)
        throw new BatchFormatException("truncated record header at offset " + pos);
      final long w = (long) LONG_LE.get(d, base + pos);
      pos += PageBatchFormat.HEADER_BYTES;
      words[n] = w;
      offsets[n] = base + pos;
      if ((w & PageBatchFormat.ZERO_FLAG) == 0) {
        if (rawLen - pos < GuestMemory.PAGE_SIZE)
          throw new BatchFormatException("truncated page content at offset " + pos);
        pos += GuestMemory.PAGE_SIZE;
      }
      n++;
    }
    if (n != expected)
      throw new BatchFormatException("batch holds " + n + " records but page_count says " + expected);
    count = n;
  }

  public int count() {
    return count;
  }

  public long gfn(int i) {
    return words[i] & PageBatchFormat.GFN_MASK;
  }

  public boolean isZero(int i) {
    return (words[i] & PageBatchFormat.ZERO_FLAG) != 0;
  }

  /** Offset of record i's page content in {@link #buffer()} (meaningless for zero pages). */
  public int dataOffset(int i) {
    return offsets[i];
  }

  /**
   * The buffer holding the decoded records, valid until the next decode; read-only (it may be the
   * batch's own payload array).
   */
  public byte[] buffer() {
    return data;
  }

  /**
   * Finds the array behind a ByteString without copying it, when the ByteString is a single array
   * slice ({@link UnsafeByteOperations#unsafeWriteTo} hands over its backing array). The array is
   * only read.
   */
  private static final class ArrayCapture extends ByteOutput {
    byte[] array;
    int offset;
    private int pieces;
    private boolean other;

    /** True when payload is one array slice; then {@link #array} and {@link #offset} locate it. */
    boolean capture(ByteString payload) {
      array = null;
      pieces = 0;
      other = false;
      if (payload.isEmpty()) return false;
      try {
        UnsafeByteOperations.unsafeWriteTo(payload, this);
      } catch (IOException e) {
        throw new IllegalStateException("ByteOutput without I/O failed", e);
      }
      return pieces == 1 && !other && array != null;
    }

    void clear() {
      array = null;
    }

    @Override
    public void write(byte value) {
      other = true;
    }

    @Override
    public void write(byte[] value, int off, int length) {
      other = true;
    }

    @Override
    public void writeLazy(byte[] value, int off, int length) {
      if (++pieces == 1) {
        array = value;
        offset = off;
      }
    }

    @Override
    public void write(ByteBuffer value) {
      other = true;
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      other = true;
    }
  }
}
