package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import io.dbmmigrate.proto.v1.PageBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads a protobuf-encoded {@link PageBatch} that lies in several buffers (gRPC's network buffers)
 * without copying its payload: the header fields are decoded as protobuf does (varints, fixed32,
 * the session id string; unknown fields skipped by wire type; the last value of a field wins), and
 * the payload is returned as views of the buffers, next to a header whose {@code payload} is empty.
 *
 * <p>Why not protobuf: protobuf-java 4.x copies any buffer that is not a heap array when it wraps
 * it in a {@code ByteString} ({@code UnsafeByteOperations.unsafeWrap(ByteBuffer)} included), and
 * gRPC's inbound buffers are direct; one allocation and one copy per batch.
 *
 * <p>Every length is checked against the bytes present; malformed input ends in {@link
 * BatchFormatException}, never in another exception. Stateless apart from one call's cursor.
 */
final class PageBatchWireReader {
  private final List<ByteBuffer> pieces;
  private int piece;
  private int pos;
  private long remaining;

  private PageBatchWireReader(List<ByteBuffer> pieces) {
    this.pieces = pieces;
    long n = 0;
    for (ByteBuffer b : pieces) n += b.remaining();
    this.remaining = n;
    this.pos = pieces.isEmpty() ? 0 : pieces.get(0).position();
  }

  /**
   * Parses the message in pieces (each from its position to its limit, in order) into a header
   * without payload; the payload's bytes are added to {@code payload} as views of the pieces (the
   * last payload field wins, as in protobuf).
   *
   * @return the header; its {@code payload} field is empty
   */
  static PageBatch read(List<ByteBuffer> pieces, List<ByteBuffer> payload) throws BatchFormatException {
    return new PageBatchWireReader(pieces).readBatch(payload);
  }

  private PageBatch readBatch(List<ByteBuffer> payload) throws BatchFormatException {
    PageBatch.Builder b = PageBatch.newBuilder();
    while (remaining > 0) {
      final long tag = readVarint();
      final int field = (int) (tag >>> 3);
      final int wireType = (int) (tag & 7);
      if (field == 0 || tag > 0xffffffffL) throw new BatchFormatException("invalid tag " + tag);
      switch (field) {
        case 1 -> b.setSessionId(readString(wireType));
        case 2 -> b.setStream(readVarint32(wireType));
        case 3 -> b.setRound(readVarint32(wireType));
        case 4 -> b.setSequence(readVarint32(wireType));
        case 5 -> b.setPageCount(readVarint32(wireType));
        case 6 -> b.setRawBytes(readVarint32(wireType));
        case 7 -> b.setCompressionValue(readVarint32(wireType));
        case 8 -> {
          expect(wireType, 5);
          b.setCrc32C(readFixed32());
        }
        case 9 -> readPayload(wireType, payload);
        default -> skip(wireType);
      }
    }
    return b.build();
  }

  private static void expect(int wireType, int want) throws BatchFormatException {
    if (wireType != want) throw new BatchFormatException("wire type " + wireType + " where " + want + " was expected");
  }

  private int readVarint32(int wireType) throws BatchFormatException {
    expect(wireType, 0);
    return (int) readVarint();
  }

  private String readString(int wireType) throws BatchFormatException {
    expect(wireType, 2);
    final int n = readLength();
    if (n > 1024) throw new BatchFormatException("session id of " + n + " bytes");
    final byte[] s = new byte[n];
    for (int i = 0; i < n; i++) s[i] = readByte();
    if (!ByteString.copyFrom(s).isValidUtf8()) throw new BatchFormatException("invalid UTF-8 in session_id");
    return new String(s, StandardCharsets.UTF_8);
  }

  /** Replaces payload's content by views of the next length-delimited field's bytes. */
  private void readPayload(int wireType, List<ByteBuffer> payload) throws BatchFormatException {
    expect(wireType, 2);
    int n = readLength();
    payload.clear();
    while (n > 0) {
      final ByteBuffer b = current();
      final int take = Math.min(n, b.limit() - pos);
      final ByteBuffer view = b.duplicate();
      view.limit(pos + take).position(pos);
      payload.add(view);
      advance(take);
      n -= take;
    }
  }

  private void skip(int wireType) throws BatchFormatException {
    switch (wireType) {
      case 0 -> readVarint();
      case 1 -> skipBytes(8);
      case 2 -> skipBytes(readLength());
      case 5 -> skipBytes(4);
      default -> throw new BatchFormatException("unsupported wire type " + wireType);
    }
  }

  private int readLength() throws BatchFormatException {
    final long n = readVarint();
    if (n < 0 || n > remaining) throw new BatchFormatException("field of " + n + " bytes exceeds the message");
    return (int) n;
  }

  private void skipBytes(int n) throws BatchFormatException {
    if (n > remaining) throw new BatchFormatException("field of " + n + " bytes exceeds the message");
    while (n > 0) {
      final int take = Math.min(n, current().limit() - pos);
      advance(take);
      n -= take;
    }
  }

  private long readVarint() throws BatchFormatException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      final byte b = readByte();
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) return v;
    }
    throw new BatchFormatException("malformed varint");
  }

  private int readFixed32() throws BatchFormatException {
    int v = 0;
    for (int i = 0; i < 4; i++) v |= (readByte() & 0xff) << (8 * i);
    return v;
  }

  private byte readByte() throws BatchFormatException {
    if (remaining == 0) throw new BatchFormatException("message truncated");
    final byte v = current().get(pos);
    advance(1);
    return v;
  }

  /** The current piece (skipping exhausted ones); remaining > 0 guarantees one exists. */
  private ByteBuffer current() {
    ByteBuffer b = pieces.get(piece);
    while (pos == b.limit()) {
      b = pieces.get(++piece);
      pos = b.position();
    }
    return b;
  }

  private void advance(int n) {
    pos += n;
    remaining -= n;
  }
}
