package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.PageBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Checks and decodes {@link PageBatch} payloads (layout: {@link PageBatchFormat}) into an index of
 * records, so that a receiver can validate every record of a batch before it applies any of them
 * ({@link #applyTo}).
 *
 * <p>Every field of the batch is treated as hostile: sizes are bounded before any allocation, the
 * CRC is checked first, LZ4 uses the safe decompressor, and the record count must match.
 *
 * <p>No copy of an uncompressed payload: the payload is read where it lies, as a list of {@link
 * ByteBuffer}s: for a received {@link InboundBatch}, views of gRPC's own inbound (direct) network
 * buffers; for a {@link PageBatch}, its payload's {@link ByteString#asReadOnlyByteBufferList()}. The
 * CRC32C runs over them in place, the index reads the record headers in place, and {@link #applyTo}
 * copies each page once from them into guest memory. A page that straddles two network buffers
 * goes through one reused 4 KiB staging page (a second, cache-hot copy of that page only).
 * Compressed payloads are gathered into a reused array and decompressed into another.
 *
 * <p>Threading: one decoder per stream; not thread-safe. After {@link #decode} returns, {@link
 * #gfn}, {@link #isZero} and {@link #applyTo} describe the batch until the next call; the batch's
 * buffers must stay valid until then (an {@link InboundBatch} is released after apply).
 */
public final class PageBatchDecoder {
  private final int maxBatchBytes;
  private final LZ4SafeDecompressor lz4 = LZ4Factory.fastestInstance().safeDecompressor();
  private final CRC32C crc = new CRC32C();
  private byte[] wire = new byte[0];
  private byte[] raw = new byte[0];
  /** Direct, so that a straddling page is placed from it as from a network buffer (pwrite). */
  private final ByteBuffer staging =
      ByteBuffer.allocateDirect(GuestMemory.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
  /** The decoded payload's pieces (each positioned at its first byte) and their global starts. */
  private ByteBuffer[] pieces = new ByteBuffer[8];
  private long[] pieceStart = new long[9];
  private int pieceCount;
  private long[] words = new long[0];
  private long[] offsets = new long[0];
  private int count;

  /** @param maxBatchBytes the largest uncompressed payload accepted */
  public PageBatchDecoder(int maxBatchBytes) {
    PageBatchFormat.checkBatchBytes(maxBatchBytes);
    this.maxBatchBytes = maxBatchBytes;
  }

  /** Decodes the batch; afterwards {@link #count()} records are available. */
  public void decode(PageBatch batch) throws BatchFormatException {
    decode(batch, batch.getPayload().asReadOnlyByteBufferList(), batch.getPayload().size());
  }

  /**
   * Decodes a received batch in place (its header from {@link InboundBatch#decode()}, its payload
   * the views {@link InboundBatch#payload()}); valid until the holder is released.
   */
  public void decode(InboundBatch inbound) throws BatchFormatException {
    decode(inbound.decode(), inbound.payload(), inbound.payloadBytes());
  }

  private void decode(PageBatch batch, List<ByteBuffer> list, int wireLen) throws BatchFormatException {
    count = 0;
    pieceCount = 0;
    final int rawLen = batch.getRawBytes();
    if (rawLen < 0 || rawLen > maxBatchBytes)
      throw new BatchFormatException(
          "raw_bytes " + Integer.toUnsignedString(rawLen) + " exceeds the batch limit " + maxBatchBytes);
    if (wireLen > PageBatchFormat.MAX_BATCH_BYTES + (PageBatchFormat.MAX_BATCH_BYTES >>> 8) + 64)
      throw new BatchFormatException("payload of " + wireLen + " bytes is oversized");
    crc.reset();
    for (int i = 0; i < list.size(); i++) {
      final ByteBuffer b = list.get(i);
      final int at = b.position();
      crc.update(b); // in place, direct buffers without a heap copy
      b.position(at);
    }
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
      for (int i = 0; i < list.size(); i++) addPiece(list.get(i));
    } else if (compression == Compression.COMPRESSION_LZ4) {
      if (wire.length < wireLen) wire = new byte[Math.max(wireLen, wire.length * 2)];
      int at = 0;
      for (int i = 0; i < list.size(); i++) {
        final ByteBuffer b = list.get(i);
        final int n = b.remaining();
        b.get(b.position(), wire, at, n);
        at += n;
      }
      if (raw.length < rawLen) raw = new byte[Math.max(rawLen, raw.length * 2)];
      final int n;
      try {
        n = lz4.decompress(wire, 0, wireLen, raw, 0, rawLen);
      } catch (LZ4Exception e) {
        throw new BatchFormatException("LZ4 payload is corrupt: " + e.getMessage());
      }
      if (n != rawLen)
        throw new BatchFormatException("LZ4 payload decompressed to " + n + " bytes, not " + rawLen);
      addPiece(ByteBuffer.wrap(raw, 0, rawLen));
    } else {
      throw new BatchFormatException("unknown compression " + batch.getCompressionValue());
    }
    index(rawLen, batch.getPageCount());
  }

  private void addPiece(ByteBuffer b) {
    if (!b.hasRemaining()) return;
    if (pieceCount == pieces.length) {
      pieces = Arrays.copyOf(pieces, pieceCount * 2);
      pieceStart = Arrays.copyOf(pieceStart, pieceCount * 2 + 1);
    }
    pieces[pieceCount] = b.order(ByteOrder.LITTLE_ENDIAN);
    pieceStart[pieceCount + 1] = pieceStart[pieceCount] + b.remaining();
    pieceCount++;
  }

  /** The index of the piece holding global offset off, searching forward from hint. */
  private int pieceOf(long off, int hint) {
    int p = hint;
    while (pieceStart[p + 1] <= off) p++;
    return p;
  }

  /** The little-endian word at global offset off (which may straddle two pieces). */
  private long wordAt(long off, int p) {
    final ByteBuffer b = pieces[p];
    final long local = off - pieceStart[p];
    if (local + 8 <= b.remaining()) return b.getLong(b.position() + (int) local);
    long w = 0;
    for (int k = 0; k < 8; k++) {
      final int q = pieceOf(off + k, p);
      final ByteBuffer bq = pieces[q];
      w |= (bq.get(bq.position() + (int) (off + k - pieceStart[q])) & 0xffL) << (8 * k);
    }
    return w;
  }

  /** Reads the index at the end of the rawLen bytes and checks it against the page area. */
  private void index(int rawLen, int expected) throws BatchFormatException {
    if (expected < 0 || expected > rawLen / PageBatchFormat.HEADER_BYTES)
      throw new BatchFormatException(
          "page_count " + Integer.toUnsignedString(expected) + " cannot fit in " + rawLen + " bytes");
    if (words.length < expected) {
      words = new long[expected];
      offsets = new long[expected];
    }
    final long indexAt = rawLen - (long) expected * PageBatchFormat.HEADER_BYTES;
    long pageArea = 0;
    int p = 0;
    for (int i = 0; i < expected; i++) {
      final long pos = indexAt + (long) i * PageBatchFormat.HEADER_BYTES;
      p = pieceOf(pos, p);
      final long w = wordAt(pos, p);
      words[i] = w;
      if ((w & PageBatchFormat.ZERO_FLAG) == 0) {
        if (pageArea + GuestMemory.PAGE_SIZE > indexAt)
          throw new BatchFormatException(
              "the index (page_count " + expected + ") names more non-zero pages than the page area of "
                  + indexAt + " bytes holds");
        offsets[i] = pageArea;
        pageArea += GuestMemory.PAGE_SIZE;
      } else {
        offsets[i] = -1;
      }
    }
    if (pageArea != indexAt)
      throw new BatchFormatException(
          "page area is " + indexAt + " bytes but the index (page_count " + expected + ") names "
              + pageArea / GuestMemory.PAGE_SIZE + " non-zero pages (" + pageArea + " bytes)");
    count = expected;
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

  /**
   * Writes every record of the decoded batch into mem: zero markers as {@link
   * GuestMemory#zeroPage}, full pages copied once from the payload's buffers, a run of pages of
   * consecutive gfns that lie in one network buffer with one {@link GuestMemory#writePages} (see
   * the class doc for straddling pages). The caller has validated the gfns. No allocation.
   */
  public void applyTo(GuestMemory mem) {
    int p = 0;
    int i = 0;
    while (i < count) {
      final long gfn = words[i] & PageBatchFormat.GFN_MASK;
      if ((words[i] & PageBatchFormat.ZERO_FLAG) != 0) {
        mem.zeroPage(gfn);
        i++;
        continue;
      }
      final long off = offsets[i];
      p = pieceOf(off, p);
      final ByteBuffer b = pieces[p];
      final long local = off - pieceStart[p];
      final long inPiece = b.remaining() - local;
      if (inPiece < GuestMemory.PAGE_SIZE) { // straddles two network buffers
        gather(off, p);
        mem.writePage(gfn, staging, 0);
        i++;
        continue;
      }
      // The run: following records that are non-zero, of the next gfns, and wholly in this piece
      // (their contents are back to back in the page area).
      final int fit = (int) Math.min(inPiece / GuestMemory.PAGE_SIZE, count - i);
      int n = 1;
      while (n < fit
          && (words[i + n] & PageBatchFormat.ZERO_FLAG) == 0
          && (words[i + n] & PageBatchFormat.GFN_MASK) == gfn + n) n++;
      mem.writePages(gfn, n, b, b.position() + (int) local);
      i += n;
    }
  }

  /** Copies the content of record i into dst (tests and tools). */
  public void copyPage(int i, byte[] dst, int dstOff) {
    if (isZero(i)) {
      Arrays.fill(dst, dstOff, dstOff + GuestMemory.PAGE_SIZE, (byte) 0);
      return;
    }
    gather(offsets[i], pieceOf(offsets[i], 0));
    staging.get(0, dst, dstOff, GuestMemory.PAGE_SIZE);
  }

  /** Copies the page at global offset off, starting in piece p, into the staging page. */
  private void gather(long off, int p) {
    int done = 0;
    while (done < GuestMemory.PAGE_SIZE) {
      final ByteBuffer b = pieces[p];
      final int local = (int) (off + done - pieceStart[p]);
      final int n = Math.min(GuestMemory.PAGE_SIZE - done, b.remaining() - local);
      staging.put(done, b, b.position() + local, n);
      done += n;
      p++;
    }
  }
}
