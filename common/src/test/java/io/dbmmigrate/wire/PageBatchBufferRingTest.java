package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.PageBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The encoder's payload buffers are reused (a ring, messages alias them): a built message must stay
 * intact until {@code bufferCount() - 1} further builds; the decoder reads payload arrays in place,
 * also at an offset and for payloads that are not one array.
 */
class PageBatchBufferRingTest {
  private static final int BATCH = 4 * PageBatchFormat.FULL_RECORD_BYTES;

  /** A page whose every byte is derived from (gfn, fill), never all zeros. */
  private static byte[] page(long gfn, int fill) {
    byte[] p = new byte[GuestMemory.PAGE_SIZE];
    for (int i = 0; i < p.length; i++) p[i] = (byte) (gfn * 31 + fill * 7 + i | 1);
    return p;
  }

  private static PageBatch buildBatch(PageBatchEncoder enc, int sequence) {
    for (long g = 0; g < 4; g++) assertThat(enc.add(g, page(g, sequence), 0)).isTrue();
    return enc.build("s", 0, 0, sequence);
  }

  private static void assertCarries(PageBatch b, int sequence) throws BatchFormatException {
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    dec.decode(b); // checks the CRC32C computed at build time against the payload as it is now
    assertThat(dec.count()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      byte[] got = new byte[GuestMemory.PAGE_SIZE];
      dec.copyPage(i, got, 0);
      assertThat(got)
          .as("batch %d record %d", sequence, i)
          .isEqualTo(page(dec.gfn(i), sequence));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4})
  void builtPayloadsStayIntactUntilTheRingWrapsAround(int buffers) throws Exception {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, false, buffers);
    assertThat(enc.bufferCount()).isEqualTo(buffers);
    List<PageBatch> built = new ArrayList<>();
    for (int seq = 0; seq < buffers; seq++) built.add(buildBatch(enc, seq));
    // bufferCount - 1 builds after the first: every batch must still carry its own pages.
    for (int seq = 0; seq < buffers; seq++) assertCarries(built.get(seq), seq);
    // The next build refills the first buffer (the documented limit is tight, not generous).
    PageBatch next = buildBatch(enc, buffers);
    assertCarries(next, buffers);
    assertThatThrownBy(() -> assertCarries(built.get(0), 0)).hasMessageContaining("CRC32C");
    for (int seq = 1; seq < buffers; seq++) assertCarries(built.get(seq), seq);
  }

  @Test
  void compressedPayloadsRotateToo() throws Exception {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, true, 2);
    byte[] zeros = new byte[GuestMemory.PAGE_SIZE];
    zeros[17] = 5; // compressible, not zero
    List<PageBatch> built = new ArrayList<>();
    for (int seq = 0; seq < 2; seq++) {
      zeros[18] = (byte) seq;
      for (long g = 0; g < 4; g++) enc.add(g, zeros, 0);
      built.add(enc.build("s", 0, 0, seq));
    }
    for (int seq = 0; seq < 2; seq++) {
      PageBatchDecoder dec = new PageBatchDecoder(BATCH);
      dec.decode(built.get(seq));
      byte[] got = new byte[GuestMemory.PAGE_SIZE];
      dec.copyPage(3, got, 0);
      assertThat(got[18]).isEqualTo((byte) seq);
    }
  }

  @Test
  void refusesARingOfOne() {
    assertThatThrownBy(() -> new PageBatchEncoder(BATCH, false, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void decodesPayloadsAtAnOffsetAndPayloadsMadeOfPieces() throws Exception {
    PageBatch b = buildBatch(new PageBatchEncoder(BATCH, false), 9);
    byte[] p = b.getPayload().toByteArray();
    byte[] shifted = new byte[p.length + 13];
    System.arraycopy(p, 0, shifted, 13, p.length);
    ByteString atOffset = ByteString.copyFrom(shifted).substring(13);
    assertCarries(b.toBuilder().setPayload(atOffset).build(), 9);
    ByteString pieces =
        ByteString.copyFrom(p, 0, 5000).concat(ByteString.copyFrom(p, 5000, p.length - 5000));
    assertCarries(b.toBuilder().setPayload(pieces).build(), 9);
    // A flipped byte in the second piece is still caught.
    byte[] q = p.clone();
    q[9000] ^= 1;
    ByteString bad = ByteString.copyFrom(q, 0, 5000).concat(ByteString.copyFrom(q, 5000, q.length - 5000));
    assertThatThrownBy(() -> assertCarries(b.toBuilder().setPayload(bad).build(), 9))
        .hasMessageContaining("CRC32C");
  }
}
