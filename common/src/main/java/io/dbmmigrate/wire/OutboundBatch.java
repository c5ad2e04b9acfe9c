package io.dbmmigrate.wire;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.PageReader;
import io.dbmmigrate.proto.v1.Compression;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * One page batch of a page stream, serialized as a protobuf {@code PageBatch} while gRPC's framer
 * drains it ({@link Drainable}, {@link KnownLength}): the source's one copy per page on the send
 * path. Each non-zero page is copied from guest memory (in place, through a {@link PageReader})
 * into a one-page staging array, its CRC32C taken there while it is in L1, and the framer copies
 * the staging array into its transport buffer, also from L1. Before this class the page went from
 * guest memory into a 1 MiB batch buffer, and the framer read it back from there long after it had
 * left the caches: the send path's second pass over memory, and what bound one stream (the sender
 * thread at 0.84 of a core, in perf).
 *
 * <p>Field order: the header fields (1 to 7, as protobuf writes them: round and sequence always,
 * the others only when not zero),
 * then {@code payload} (9), then {@code crc32c} (8) last, because the CRC is known only once the
 * payload went out. Protobuf accepts fields in any order, and so does the destination's reader
 * (target.proto says so), so this is the same {@code PageBatch} as before: no new contract.
 *
 * <p>The payload's length must be known before the first byte goes out (gRPC's length prefix),
 * so which records are zero pages is decided when a page is added ({@link PageBatchEncoder}),
 * and a page is read again when it is drained. A page may change between the two (pre-copy reads
 * a running guest): one that became non-zero is still sent as a zero record, one that became zero
 * is sent as 4096 zero bytes, and either way the write that changed it came after the dirty log
 * was harvested, so the page is dirty again and is sent again by a later round. A paused guest
 * cannot change. The same argument already covers a torn copy (see {@link GuestMemory}).
 *
 * <p>Lifetime: the encoder owns one instance per stream and reuses it; a built batch is valid
 * until the encoder's next build, so it must be drained inside {@code onNext} (gRPC's Netty
 * transport does, on a channel without retries) or dropped. {@link #drained()} says whether it
 * was. Every byte also reads as a plain {@link InputStream} (in-process transports, tests).
 * Not thread-safe: one thread builds and drains.
 */
public final class OutboundBatch extends InputStream implements Drainable, KnownLength {
  /** Field 9 ({@code payload}), wire type 2 (length-delimited). */
  private static final int PAYLOAD_TAG = 9 << 3 | 2;
  /** Field 8 ({@code crc32c}), wire type 5 (fixed32). */
  private static final int CRC_TAG = 8 << 3 | 5;
  private static final int CRC_TRAILER_BYTES = 5;
  /** Room for fields 2 to 7 (six varint fields of at most 1 + 5 bytes) and the payload's tag. */
  private static final int FIXED_HEADER_ROOM = 6 * 6 + 1 + 5;

  private static final int HEADER = 0;
  private static final int PAGES = 1;
  private static final int TAIL = 2;
  private static final int TRAILER = 3;
  private static final int END = 4;

  private final byte[] staging = new byte[GuestMemory.PAGE_SIZE];
  private final byte[] trailer = new byte[CRC_TRAILER_BYTES];
  private final CRC32C crc = new CRC32C();
  private final byte[] oneByte = new byte[1];
  private byte[] header = new byte[FIXED_HEADER_ROOM + 64];
  private int headerLength;
  private String encodedSessionId;
  private byte[] sessionIdUtf8;

  // The batch (set by the encoder's build). Pages mode: the records' index words and the reader
  // their non-zero pages are drained from; tail = the index words as they go out (little-endian).
  // Bytes mode: tail = the whole payload as it goes out (compressed), crc given.
  private long[] index;
  private int pageCount;
  private PageReader reader;
  private byte[] tail;
  private int tailLength;
  private boolean pagesMode;
  private int crcValue;
  private int payloadLength;
  private long remaining;
  private boolean built;

  // The drain's cursor: the current chunk and what comes after it.
  private int stage = END;
  private int record;
  private byte[] chunk;
  private int chunkOffset;
  private int chunkLeft;

  OutboundBatch() {}

  /**
   * A batch whose non-zero records' pages are read from {@code reader} when drained; {@code
   * indexBytes} holds the records' index words as sent ({@code pageCount * 8} bytes, see {@link
   * PageBatchFormat}).
   */
  void setPages(
      String sessionId,
      int stream,
      int round,
      int sequence,
      long[] index,
      int pageCount,
      int nonZeroPages,
      PageReader reader,
      byte[] indexBytes) {
    this.index = index;
    this.pageCount = pageCount;
    this.reader = reader;
    this.tail = indexBytes;
    this.tailLength = pageCount * PageBatchFormat.HEADER_BYTES;
    this.pagesMode = true;
    final int rawBytes = nonZeroPages * GuestMemory.PAGE_SIZE + tailLength;
    start(sessionId, stream, round, sequence, pageCount, rawBytes, Compression.COMPRESSION_NONE.getNumber(), rawBytes);
  }

  /** A batch whose payload is given (LZ4-compressed or not), with its CRC32C. */
  void setBytes(
      String sessionId,
      int stream,
      int round,
      int sequence,
      int pageCount,
      int rawBytes,
      int compression,
      byte[] payload,
      int payloadLength,
      int crc32c) {
    this.index = null;
    this.reader = null;
    this.pageCount = pageCount;
    this.tail = payload;
    this.tailLength = payloadLength;
    this.pagesMode = false;
    this.crcValue = crc32c;
    start(sessionId, stream, round, sequence, pageCount, rawBytes, compression, payloadLength);
  }

  private void start(
      String sessionId, int stream, int round, int sequence, int pages, int rawBytes, int compression, int payload) {
    if (!sessionId.equals(encodedSessionId)) {
      sessionIdUtf8 = sessionId.getBytes(StandardCharsets.UTF_8);
      encodedSessionId = sessionId;
      if (header.length < FIXED_HEADER_ROOM + 6 + sessionIdUtf8.length)
        header = new byte[FIXED_HEADER_ROOM + 6 + sessionIdUtf8.length];
    }
    int at = 0;
    if (sessionIdUtf8.length > 0) {
      at = putVarint(header, at, 1 << 3 | 2);
      at = putVarint(header, at, sessionIdUtf8.length);
      System.arraycopy(sessionIdUtf8, 0, header, at, sessionIdUtf8.length);
      at += sessionIdUtf8.length;
    }
    at = putField(header, at, 2, stream);
    at = putVarint(header, at, 3 << 3); // round and sequence: explicit presence, always written
    at = putVarint(header, at, round & 0xffffffffL);
    at = putVarint(header, at, 4 << 3);
    at = putVarint(header, at, sequence & 0xffffffffL);
    at = putField(header, at, 5, pages);
    at = putField(header, at, 6, rawBytes);
    at = putField(header, at, 7, compression);
    at = putVarint(header, at, PAYLOAD_TAG);
    at = putVarint(header, at, payload);
    headerLength = at;
    payloadLength = payload;
    remaining = (long) headerLength + payload + CRC_TRAILER_BYTES;
    crc.reset();
    stage = HEADER;
    record = 0;
    chunkLeft = 0;
    built = true;
  }

  /** Drops the batch (it will not be sent). */
  void clear() {
    built = false;
    stage = END;
    chunkLeft = 0;
    remaining = 0;
    reader = null;
  }

  /** A varint field as protobuf writes it: not at all when the value is 0. */
  private static int putField(byte[] a, int at, int field, int value) {
    if (value == 0) return at;
    at = putVarint(a, at, field << 3);
    return putVarint(a, at, value & 0xffffffffL); // int32 fields here are never negative
  }

  private static int putVarint(byte[] a, int at, long v) {
    while ((v & ~0x7fL) != 0) {
      a[at++] = (byte) (v & 0x7f | 0x80);
      v >>>= 7;
    }
    a[at++] = (byte) v;
    return at;
  }

  /** Payload bytes of the batch as sent (what the rate limiter and the reports count). */
  public int payloadBytes() {
    return payloadLength;
  }

  /** True once every byte of the built batch went out (drained or read to its end). */
  public boolean drained() {
    return built && stage == END && chunkLeft == 0;
  }

  /**
   * Makes the next chunk current (false at the end): the header, each non-zero page (staged and
   * CRC'd), the index words or the given payload, the CRC field.
   */
  private boolean nextChunk() {
    switch (stage) {
      case HEADER -> {
        stage = pagesMode ? PAGES : TAIL;
        return setChunk(header, headerLength);
      }
      case PAGES -> {
        while (record < pageCount) {
          final long word = index[record++];
          if ((word & PageBatchFormat.ZERO_FLAG) == 0) {
            stagePage(word);
            return setChunk(staging, GuestMemory.PAGE_SIZE);
          }
        }
        stage = TAIL;
        return nextChunk();
      }
      case TAIL -> {
        stage = TRAILER;
        if (pagesMode) {
          crc.update(tail, 0, tailLength);
          crcValue = (int) crc.getValue();
        }
        if (tailLength > 0) return setChunk(tail, tailLength);
        return nextChunk();
      }
      case TRAILER -> {
        stage = END;
        trailer[0] = (byte) CRC_TAG;
        trailer[1] = (byte) crcValue;
        trailer[2] = (byte) (crcValue >>> 8);
        trailer[3] = (byte) (crcValue >>> 16);
        trailer[4] = (byte) (crcValue >>> 24);
        return setChunk(trailer, CRC_TRAILER_BYTES);
      }
      default -> {
        return false;
      }
    }
  }

  private boolean setChunk(byte[] a, int length) {
    chunk = a;
    chunkOffset = 0;
    chunkLeft = length;
    return true;
  }

  /** Copies the record's page into the staging array (racy plain copy, see the class doc). */
  private void stagePage(long word) {
    final ByteBuffer page = reader.page(word & PageBatchFormat.GFN_MASK);
    if (page == null) Arrays.fill(staging, (byte) 0); // unwritten since it was added: zeros
    else page.get(page.position(), staging, 0, GuestMemory.PAGE_SIZE);
    crc.update(staging, 0, GuestMemory.PAGE_SIZE);
  }

  private void checkBuilt() {
    if (!built) throw new IllegalStateException("no page batch built (or it was dropped)");
  }

  @Override
  public int drainTo(OutputStream target) throws IOException {
    checkBuilt();
    long n = 0;
    while (chunkLeft > 0 || nextChunk()) {
      target.write(chunk, chunkOffset, chunkLeft);
      n += chunkLeft;
      chunkLeft = 0;
    }
    remaining = 0;
    return Math.toIntExact(n);
  }

  @Override
  public int read(byte[] b, int off, int len) {
    checkBuilt();
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) return 0;
    if (chunkLeft == 0 && !nextChunk()) return -1;
    final int n = Math.min(len, chunkLeft);
    System.arraycopy(chunk, chunkOffset, b, off, n);
    chunkOffset += n;
    chunkLeft -= n;
    remaining -= n;
    return n;
  }

  @Override
  public int read() {
    return read(oneByte, 0, 1) < 0 ? -1 : oneByte[0] & 0xff;
  }

  /** Bytes not yet drained or read (all of them, before the first). */
  @Override
  public int available() {
    return (int) remaining;
  }
}
