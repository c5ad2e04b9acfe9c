package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.testing.MapGuestMemory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A page stream's batches ({@link PageBatchEncoder#forStream}, {@link OutboundBatch}): drained or
 * read, they are the bytes of the {@code PageBatch} the copying encoder builds from the same pages
 * (the CRC32C field last), protobuf and the destination's reader decode them, and a page that
 * changes between add and drain is sent as the dirty log's argument allows. Guest memory is the
 * real off-heap one (mapped views) and the test map (heap copies).
 */
class OutboundBatchTest {
  private static final int P = GuestMemory.PAGE_SIZE;
  private static final List<MemorySlotSpec> SLOTS = List.of(new MemorySlotSpec(1, "ram", 100, 64, false));
  private static final int BATCH = 16 * PageBatchFormat.FULL_RECORD_BYTES;

  private GuestMemory mem;

  @AfterEach
  void close() {
    if (mem != null) mem.close();
  }

  private GuestMemory memory(boolean offHeap, long seed) {
    mem = offHeap ? new ChunkedGuestMemory(SLOTS) : new MapGuestMemory(SLOTS);
    Random r = new Random(seed);
    byte[] page = new byte[P];
    for (long g = 100; g < 164; g++) {
      if (g % 5 == 0) continue; // never written
      if (g % 7 == 0) {
        page = new byte[P];
        page[P - 1] = (byte) (g % 2); // odd: written as zeros; even: one non-zero last byte
      } else if (g % 3 == 0) {
        page = new byte[P];
        page[17] = 5; // compressible
      } else r.nextBytes(page);
      mem.writePage(g, page, 0);
    }
    return mem;
  }

  private static byte[] drain(OutboundBatch b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    final int announced = b.available();
    assertThat(b.drained()).isFalse();
    assertThat(b.drainTo(out)).isEqualTo(announced);
    assertThat(out.size()).as("KnownLength.available() is exact").isEqualTo(announced);
    assertThat(b.drained()).isTrue();
    assertThat(b.available()).isZero();
    return out.toByteArray();
  }

  /** Adds gfns [from, to) to both encoders; both must take the same pages. */
  private static void addAll(PageBatchEncoder a, PageBatchEncoder b, GuestMemory m, long from, long to) {
    for (long g = from; g < to; g++) {
      assertThat(a.add(g, m)).isEqualTo(b.add(g, m));
      assertThat(a.pageCount()).isEqualTo(b.pageCount());
    }
  }

  @ParameterizedTest
  @CsvSource({"true,false", "true,true", "false,false", "false,true"})
  void drainedBatchesAreTheCopyingEncodersBatches(boolean offHeap, boolean lz4) throws Exception {
    GuestMemory m = memory(offHeap, 3);
    PageBatchEncoder stream = PageBatchEncoder.forStream(BATCH, lz4);
    PageBatchEncoder copying = new PageBatchEncoder(BATCH, lz4);
    long g = 100;
    for (int seq = 0; g < 164; seq++) {
      while (g < 164 && stream.add(g, m)) {
        assertThat(copying.add(g, m)).isTrue();
        g++;
      }
      assertThat(stream.rawBytes()).isEqualTo(copying.rawBytes());
      assertThat(stream.zeroPages()).isEqualTo(copying.zeroPages());
      PageBatch expected = copying.build("session-é", 1, 2, seq);
      byte[] wire = drain(stream.buildOutbound("session-é", 1, 2, seq));
      PageBatch parsed = PageBatch.parseFrom(wire);
      assertThat(parsed).isEqualTo(expected);
      // The same fields in protobuf's order, except the CRC32C, which goes last.
      byte[] canonical = expected.toBuilder().clearCrc32C().build().toByteArray();
      assertThat(java.util.Arrays.copyOf(wire, canonical.length)).isEqualTo(canonical);
      assertThat(wire).hasSize(canonical.length + 5);
      assertThat(wire[canonical.length]).isEqualTo((byte) (8 << 3 | 5));
    }
    assertThat(stream.isEmpty()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theDestinationsReaderAppliesADrainedBatch(boolean offHeap) throws Exception {
    GuestMemory m = memory(offHeap, 4);
    PageBatchEncoder stream = PageBatchEncoder.forStream(64 * PageBatchFormat.FULL_RECORD_BYTES, false);
    for (long g = 100; g < 164; g++) assertThat(stream.add(g, m)).isTrue();
    byte[] wire = drain(stream.buildOutbound("s", 0, 0, 0));
    PageBatchDecoder dec = new PageBatchDecoder(64 * PageBatchFormat.FULL_RECORD_BYTES);
    InboundBatch in = InboundBatchMarshaller.instance().parse(new ByteArrayInputStream(wire));
    dec.decode(in); // checks the CRC32C, which came after the payload
    MapGuestMemory dst = new MapGuestMemory(SLOTS);
    dec.applyTo(dst);
    byte[] a = new byte[P];
    byte[] b = new byte[P];
    for (long g = 100; g < 164; g++) {
      java.util.Arrays.fill(a, (byte) 0);
      java.util.Arrays.fill(b, (byte) 0);
      m.readPage(g, a, 0);
      dst.readPage(g, b, 0);
      assertThat(b).as("page %d", g).isEqualTo(a);
    }
  }

  @Test
  void readingTheStreamGivesTheDrainedBytes() throws Exception {
    GuestMemory m = memory(true, 5);
    PageBatchEncoder stream = PageBatchEncoder.forStream(BATCH, false);
    for (long g = 100; g < 110; g++) stream.add(g, m);
    byte[] drained = drain(stream.buildOutbound("s", 0, 1, 0));
    for (long g = 100; g < 110; g++) stream.add(g, m);
    OutboundBatch b = stream.buildOutbound("s", 0, 1, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(b.read());
    out.write(b.read());
    byte[] odd = new byte[4093];
    for (int n; (n = b.read(odd, 0, odd.length)) > 0; ) out.write(odd, 0, n);
    assertThat(b.read()).isEqualTo(-1);
    assertThat(b.drained()).isTrue();
    assertThat(out.toByteArray()).isEqualTo(drained);
    // Partly read, then drained: the rest goes out.
    for (long g = 100; g < 110; g++) stream.add(g, m);
    b = stream.buildOutbound("s", 0, 1, 0);
    byte[] head = new byte[5000];
    assertThat(b.read(head, 0, head.length)).isPositive();
    int first = drained.length - b.available();
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    b.drainTo(rest);
    assertThat(rest.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(drained, first, drained.length));
  }

  /**
   * Pre-copy reads a running guest: a page that turned non-zero after it was added goes out as a
   * zero record (the write dirtied it again), one that turned zero goes out as zeros; the CRC32C
   * covers what was sent either way.
   */
  @Test
  void aPageThatChangesBetweenAddAndDrainIsSentAsItWasThenAndTheBatchStaysValid() throws Exception {
    GuestMemory m = memory(true, 6);
    PageBatchEncoder stream = PageBatchEncoder.forStream(BATCH, false);
    assertThat(m.isWritten(100)).isFalse();
    stream.add(100, m); // never written: a zero record
    stream.add(101, m); // random content: a full record
    byte[] content = new byte[P];
    content[5] = 42;
    m.writePage(100, content, 0);
    m.writePage(101, new byte[P], 0);
    byte[] wire = drain(stream.buildOutbound("s", 0, 0, 0));
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    dec.decode(PageBatch.parseFrom(wire));
    assertThat(dec.isZero(0)).as("zero when added").isTrue();
    assertThat(dec.isZero(1)).isFalse();
    byte[] got = new byte[P];
    dec.copyPage(1, got, 0);
    assertThat(got).as("the page as it was drained").isEqualTo(new byte[P]);
  }

  @Test
  void aBatchLivesUntilTheNextBuildOrDiscard() throws Exception {
    GuestMemory m = memory(true, 7);
    PageBatchEncoder stream = PageBatchEncoder.forStream(BATCH, false);
    stream.add(101, m);
    OutboundBatch first = stream.buildOutbound("s", 0, 0, 0);
    stream.add(102, m);
    stream.add(103, m);
    OutboundBatch second = stream.buildOutbound("s", 0, 0, 1);
    assertThat(second).as("one batch per encoder, reused").isSameAs(first);
    assertThat(PageBatch.parseFrom(drain(second)).getPageCount()).isEqualTo(2);
    stream.add(104, m);
    OutboundBatch dropped = stream.buildOutbound("s", 0, 0, 2);
    stream.discard();
    assertThat(dropped.drained()).isFalse();
    assertThatThrownBy(() -> dropped.drainTo(new ByteArrayOutputStream())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void eachKindOfEncoderBuildsItsOwnKind() {
    PageBatchEncoder stream = PageBatchEncoder.forStream(BATCH, false);
    assertThatThrownBy(() -> stream.build("s", 0, 0, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> stream.add(1, new byte[P], 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new PageBatchEncoder(BATCH, false).buildOutbound("s", 0, 0, 0))
        .isInstanceOf(IllegalStateException.class);
    assertThat(PageBatchEncoder.forStream(BATCH, true).add(1, new byte[P], 0)).isTrue();
  }

  /** The decoder reads payload arrays in place, also at an offset and for payloads made of pieces. */
  @Test
  void decodesPayloadsAtAnOffsetAndPayloadsMadeOfPieces() throws Exception {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, false);
    Random r = new Random(9);
    byte[][] pages = new byte[4][P];
    for (int i = 0; i < 4; i++) {
      r.nextBytes(pages[i]);
      enc.add(i, pages[i], 0);
    }
    PageBatch b = enc.build("s", 0, 0, 9);
    byte[] p = b.getPayload().toByteArray();
    byte[] shifted = new byte[p.length + 13];
    System.arraycopy(p, 0, shifted, 13, p.length);
    assertCarries(b.toBuilder().setPayload(ByteString.copyFrom(shifted).substring(13)).build(), pages);
    ByteString pieces = ByteString.copyFrom(p, 0, 5000).concat(ByteString.copyFrom(p, 5000, p.length - 5000));
    assertCarries(b.toBuilder().setPayload(pieces).build(), pages);
    byte[] q = p.clone();
    q[9000] ^= 1; // in the second piece: still caught
    ByteString bad = ByteString.copyFrom(q, 0, 5000).concat(ByteString.copyFrom(q, 5000, q.length - 5000));
    assertThatThrownBy(() -> assertCarries(b.toBuilder().setPayload(bad).build(), pages))
        .hasMessageContaining("CRC32C");
  }

  private static void assertCarries(PageBatch b, byte[][] pages) throws BatchFormatException {
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    dec.decode(b);
    assertThat(dec.count()).isEqualTo(pages.length);
    for (int i = 0; i < pages.length; i++) {
      byte[] got = new byte[P];
      dec.copyPage(i, got, 0);
      assertThat(got).as("record %d", i).isEqualTo(pages[(int) dec.gfn(i)]);
    }
  }
}
