package io.dbmmigrate.wire;

import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.HasByteBuffer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One received {@code SendPages} message, not yet checked: the bytes as gRPC received them, with
 * their size, held until {@link #release()}. {@link InboundBatchMarshaller#parse} builds it without
 * looking at the content (it never fails on malformed input); {@link #decode()}, called by the
 * service where errors can be mapped to statuses, parses it and may fail.
 *
 * <p>Zero copy: when gRPC hands over a {@link io.grpc.Detachable} stream whose buffers are
 * reachable ({@link HasByteBuffer}), this holder owns gRPC's inbound network buffers (detached;
 * the stream is marked first so that buffers already skipped are kept, not recycled). {@link
 * #decode()} reads the protobuf header over them ({@link PageBatchWireReader}) and keeps the
 * payload as views of those buffers ({@link #payload()}): no byte is copied. Other streams (the
 * in-process transport, tests) are read into one array: one copy.
 *
 * <p>Lifetime rule: the decoded batch, and anything read from its payload, is valid only until
 * {@link #release()}; the service releases every holder it receives exactly once, on every path
 * (applied, refused, stream closed). Not thread-safe (one gRPC call delivers messages serially).
 */
public final class InboundBatch {
  private InputStream detached;
  private byte[] copy;
  private PageBatch parsed;
  /** The payload as views of the held buffers (zero-copy holders), or null: the parsed payload. */
  private List<ByteBuffer> payload;
  private final IOException readFailure;
  private final int sizeBytes;

  private InboundBatch(InputStream detached, byte[] copy, PageBatch parsed, IOException failure, int sizeBytes) {
    this.detached = detached;
    this.copy = copy;
    this.parsed = parsed;
    this.readFailure = failure;
    this.sizeBytes = sizeBytes;
  }

  /** A holder of gRPC's detached, marked stream of sizeBytes bytes (owns it until release). */
  static InboundBatch ofDetached(InputStream detached, int sizeBytes) {
    return new InboundBatch(detached, null, null, null, sizeBytes);
  }

  /** A holder of bytes read into an array. */
  static InboundBatch ofBytes(byte[] bytes) {
    return new InboundBatch(null, bytes, null, null, bytes.length);
  }

  /** A holder whose reading failed: {@link #decode()} reports it. */
  static InboundBatch ofFailure(IOException e, int sizeBytes) {
    return new InboundBatch(null, null, null, e, Math.max(0, sizeBytes));
  }

  /** A holder of an already parsed batch (in-process calls, tests). */
  public static InboundBatch of(PageBatch batch) {
    return new InboundBatch(null, null, batch, null, batch.getSerializedSize());
  }

  /** Bytes of the message as received (what it holds in memory until released). */
  public int sizeBytes() {
    return sizeBytes;
  }

  /**
   * The batch's header (parsed once; later calls return the same object). For a holder of network
   * bytes its {@code payload} field is empty: the payload is {@link #payload()}, views of the held
   * buffers, valid until {@link #release()}.
   *
   * @throws BatchFormatException when the bytes are not a PageBatch or could not be read
   */
  public PageBatch decode() throws BatchFormatException {
    if (parsed != null) return parsed;
    if (readFailure != null) throw new BatchFormatException("reading the message failed: " + readFailure.getMessage());
    if (detached == null && copy == null) throw new IllegalStateException("batch already released");
    try {
      final List<ByteBuffer> views = new ArrayList<>();
      parsed = PageBatchWireReader.read(copy != null ? List.of(ByteBuffer.wrap(copy)) : gather(detached), views);
      payload = views;
      return parsed;
    } catch (IOException e) {
      throw new BatchFormatException("reading the message failed: " + e.getMessage());
    }
  }

  /**
   * The payload's bytes, in order, as views of the held buffers (valid until {@link #release()});
   * call after {@link #decode()}. Read them, never write them.
   */
  public List<ByteBuffer> payload() {
    if (parsed == null) throw new IllegalStateException("decode() first");
    return payload != null ? payload : parsed.getPayload().asReadOnlyByteBufferList();
  }

  /** Bytes of the payload as sent (after compression); call after {@link #decode()}. */
  public int payloadBytes() {
    if (parsed == null) throw new IllegalStateException("decode() first");
    if (payload == null) return parsed.getPayload().size();
    int n = 0;
    for (int i = 0; i < payload.size(); i++) n += payload.get(i).remaining();
    return n;
  }

  /** Views of the held network buffers, in order (no byte copied). */
  private static List<ByteBuffer> gather(InputStream in) throws IOException {
    final HasByteBuffer hb = (HasByteBuffer) in;
    final List<ByteBuffer> parts = new ArrayList<>();
    while (in.available() > 0) {
      final ByteBuffer b = hb.getByteBuffer();
      if (b == null) throw new IOException("a network buffer has no ByteBuffer view");
      final int n = b.remaining();
      parts.add(b);
      if (in.skip(n) != n) throw new IOException("could not skip a network buffer of " + n + " bytes");
    }
    return parts;
  }

  /** Gives the held buffers back to gRPC (idempotent). The decoded batch is invalid afterwards. */
  public void release() {
    final InputStream d = detached;
    detached = null;
    copy = null;
    payload = null;
    if (d != null) {
      try {
        d.close();
      } catch (IOException e) {
        // closing a detached buffer stream only releases memory; nothing to report
      }
    }
  }

  /** True until released (tests). */
  boolean holdsBuffers() {
    return detached != null || copy != null;
  }
}
