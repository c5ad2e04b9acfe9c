package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.testing.MapGuestMemory;
import io.grpc.internal.CompositeReadableBuffer;
import io.grpc.internal.ForwardingReadableBuffer;
import io.grpc.internal.ReadableBuffer;
import io.grpc.internal.ReadableBuffers;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The receive path as gRPC's Netty transport drives it: a message split over many network buffers
 * of odd sizes (so records and pages straddle buffer boundaries), handed to the marshaller as a
 * detachable stream. The stream here is grpc-java's own (internal) buffer stream over direct
 * buffers that count their release.
 */
class InboundBatchTest {
  private static final List<MemorySlotSpec> SLOTS = List.of(new MemorySlotSpec(1, "ram", 100, 64, false));

  /** A direct ReadableBuffer that counts close() (grpc's release of a network buffer). */
  private static final class Tracked extends ForwardingReadableBuffer {
    final AtomicInteger closed;

    Tracked(ByteBuffer b, AtomicInteger closed) {
      super(ReadableBuffers.wrap(b));
      this.closed = closed;
    }

    @Override
    public void close() {
      closed.incrementAndGet();
      super.close();
    }
  }

  private static MapGuestMemory source(long seed) {
    MapGuestMemory m = new MapGuestMemory(SLOTS);
    Random r = new Random(seed);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 100; g < 164; g++) {
      if (g % 5 == 0) continue; // never written: a zero marker
      r.nextBytes(page);
      m.writePage(g, page, 0);
    }
    return m;
  }

  /** The message bytes split into direct buffers of 777 bytes (the last one shorter). */
  private static InputStream networkStream(byte[] message, AtomicInteger closed, int[] buffers) {
    CompositeReadableBuffer composite = new CompositeReadableBuffer();
    for (int at = 0; at < message.length; at += 777) {
      int n = Math.min(777, message.length - at);
      ByteBuffer b = ByteBuffer.allocateDirect(n);
      b.put(message, at, n).flip();
      ReadableBuffer rb = new Tracked(b, closed);
      composite.addBuffer(rb);
      buffers[0]++;
    }
    return ReadableBuffers.openStream(composite, true);
  }

  @Test
  void aBatchSplitOverNetworkBuffersIsAppliedInPlaceAndItsBuffersReleasedOnce() throws Exception {
    MapGuestMemory src = source(7);
    PageBatchEncoder enc = new PageBatchEncoder(64 * PageBatchFormat.FULL_RECORD_BYTES, false);
    for (long g = 100; g < 164; g++) assertThat(enc.add(g, src)).isTrue();
    byte[] message = enc.build("s", 0, 0, 0).toByteArray();
    AtomicInteger closed = new AtomicInteger();
    int[] buffers = {0};
    InboundBatch in = InboundBatchMarshaller.instance().parse(networkStream(message, closed, buffers));
    assertThat(in.sizeBytes()).isEqualTo(message.length);
    PageBatch header = in.decode();
    assertThat(header.getPayload().isEmpty()).as("the payload stays in the network buffers").isTrue();
    assertThat(in.payloadBytes()).isEqualTo(header.getRawBytes());
    PageBatchDecoder dec = new PageBatchDecoder(64 * PageBatchFormat.FULL_RECORD_BYTES);
    dec.decode(in);
    assertThat(closed.get()).as("no network buffer released before the batch is applied").isZero();
    MapGuestMemory dst = new MapGuestMemory(SLOTS);
    dec.applyTo(dst);
    in.release();
    assertThat(closed.get()).as("each network buffer released once").isEqualTo(buffers[0]);
    in.release();
    assertThat(closed.get()).isEqualTo(buffers[0]);
    byte[] a = new byte[GuestMemory.PAGE_SIZE];
    byte[] b = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 100; g < 164; g++) {
      boolean had = src.readPage(g, a, 0);
      assertThat(dst.readPage(g, b, 0) && !java.util.Arrays.equals(b, new byte[b.length])).isEqualTo(had);
      if (had) assertThat(b).as("page %d", g).isEqualTo(a);
    }
  }

  @Test
  void parseNeverThrowsAndDecodeReportsMalformedBytes() {
    byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3};
    AtomicInteger closed = new AtomicInteger();
    InboundBatch viaNetwork = InboundBatchMarshaller.instance().parse(networkStream(junk, closed, new int[1]));
    assertThat(viaNetwork.sizeBytes()).isEqualTo(junk.length);
    assertThatThrownBy(viaNetwork::decode).isInstanceOf(BatchFormatException.class);
    viaNetwork.release();
    assertThat(closed.get()).isEqualTo(1);
    InboundBatch viaArray = InboundBatchMarshaller.instance().parse(new ByteArrayInputStream(junk));
    assertThatThrownBy(viaArray::decode).isInstanceOf(BatchFormatException.class);
    InboundBatch failing =
        InboundBatchMarshaller.instance()
            .parse(
                new InputStream() {
                  @Override
                  public int read() throws java.io.IOException {
                    throw new java.io.IOException("connection reset");
                  }
                });
    assertThatThrownBy(failing::decode).isInstanceOf(BatchFormatException.class).hasMessageContaining("connection reset");
  }

  /**
   * The in-place header reader agrees with protobuf's parser on random batches split at random
   * points, and refuses (BatchFormatException, nothing else) every truncation of them.
   */
  @Test
  void theInPlaceReaderAgreesWithProtobufAndRefusesTruncations() throws Exception {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    for (int run = 0; run < 200; run++) {
      byte[] payload = new byte[r.nextInt(3000)];
      r.nextBytes(payload);
      PageBatch b =
          PageBatch.newBuilder()
              .setSessionId("s-" + r.nextInt())
              .setStream(r.nextInt(8))
              .setRound(r.nextInt())
              .setSequence(r.nextInt())
              .setPageCount(r.nextInt())
              .setRawBytes(r.nextInt())
              .setCompressionValue(r.nextInt(3))
              .setCrc32C(r.nextInt())
              .setPayload(com.google.protobuf.ByteString.copyFrom(payload))
              .build();
      byte[] wire = b.toByteArray();
      assertThat(readWhole(split(wire, r))).as("seed %d run %d", seed, run).isEqualTo(b);
      int cut = r.nextInt(wire.length);
      byte[] truncated = java.util.Arrays.copyOf(wire, cut);
      boolean protobufAccepts;
      try {
        PageBatch.parseFrom(truncated);
        protobufAccepts = true;
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        protobufAccepts = false;
      }
      if (protobufAccepts) {
        assertThat(readWhole(split(truncated, r))).isEqualTo(PageBatch.parseFrom(truncated));
      } else {
        assertThatThrownBy(() -> readWhole(split(truncated, r)))
            .as("seed %d run %d cut %d", seed, run, cut)
            .isInstanceOf(BatchFormatException.class);
      }
    }
  }

  /** The reader's header with its payload views copied back in (for comparison with protobuf). */
  private static PageBatch readWhole(List<ByteBuffer> pieces) throws BatchFormatException {
    List<ByteBuffer> payload = new java.util.ArrayList<>();
    PageBatch header = PageBatchWireReader.read(pieces, payload);
    com.google.protobuf.ByteString bytes = com.google.protobuf.ByteString.EMPTY;
    for (ByteBuffer b : payload) bytes = bytes.concat(com.google.protobuf.ByteString.copyFrom(b.duplicate()));
    return header.toBuilder().setPayload(bytes).build();
  }

  private static List<ByteBuffer> split(byte[] wire, Random r) {
    List<ByteBuffer> out = new java.util.ArrayList<>();
    for (int at = 0; at < wire.length; ) {
      int n = Math.min(wire.length - at, 1 + r.nextInt(600));
      out.add(ByteBuffer.wrap(wire, at, n));
      at += n;
    }
    return out;
  }
}
