package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.testing.MapGuestMemory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PageBatchCodecTest {
  private static final int BATCH = 64 * 1024;

  private static MapGuestMemory memoryWithPattern(long seed) {
    MapGuestMemory mem = new MapGuestMemory(List.of(new MemorySlotSpec(1, "ram", 100, 64, false)));
    Random r = new Random(seed);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 100; g < 164; g += 2) { // odd pages stay never-written
      if (g % 8 == 0) {
        Arrays.fill(page, (byte) 0); // written, but all zeros: must still travel as a marker
      } else {
        for (int i = 0; i < page.length; i += 64) page[i] = (byte) r.nextInt(); // compressible
      }
      mem.writePage(g, page, 0);
    }
    return mem;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void roundTripsEveryPageAndMarksZeroPages(boolean lz4) throws Exception {
    MapGuestMemory src = memoryWithPattern(7);
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, lz4);
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    MapGuestMemory dst = new MapGuestMemory(src.slots());
    int batches = 0;
    int zeroRecords = 0;
    long gfn = 100;
    while (gfn < 164) {
      while (gfn < 164 && enc.add(gfn, src)) gfn++;
      int expectedZeros = enc.zeroPages();
      PageBatch b = enc.build("s", 0, 0, batches++);
      if (lz4) assertThat(b.getCompression()).isEqualTo(Compression.COMPRESSION_LZ4);
      dec.decode(b);
      for (int i = 0; i < dec.count(); i++) if (dec.isZero(i)) zeroRecords++;
      dec.applyTo(dst);
      assertThat(b.getPageCount()).isEqualTo(dec.count());
      assertThat(expectedZeros).isLessThanOrEqualTo(dec.count());
    }
    // 32 never-written + 8 written-as-zero pages travel as markers.
    assertThat(zeroRecords).isEqualTo(40);
    assertThat(batches).isGreaterThan(1);
    byte[] a = new byte[GuestMemory.PAGE_SIZE];
    byte[] b = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 100; g < 164; g++) {
      Arrays.fill(a, (byte) 0);
      Arrays.fill(b, (byte) 0);
      src.readPage(g, a, 0);
      dst.readPage(g, b, 0);
      assertThat(b).as("gfn %d", g).isEqualTo(a);
    }
  }

  /**
   * The receiver's path: the payload arrives in direct network buffers cut at arbitrary offsets,
   * pages of consecutive gfns are placed in runs (one write per run and buffer), pages that
   * straddle two buffers through the staging page; the result equals the source page by page.
   */
  @ParameterizedTest
  @ValueSource(ints = {4096, 5000, 13001, 65536, 1 << 20})
  void placesRunsFromDirectNetworkBuffersCutAnywhere(int cut) throws Exception {
    MapGuestMemory src = new MapGuestMemory(List.of(new MemorySlotSpec(1, "ram", 100, 64, false)));
    Random r = new Random(cut);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 100; g < 164; g++) {
      if (g % 11 == 0) continue; // never written: a zero record breaks the run
      r.nextBytes(page);
      src.writePage(g, page, 0);
    }
    PageBatchEncoder enc = new PageBatchEncoder(1 << 20, false);
    for (long g = 100; g < 164; g++) if (g != 130) assertThat(enc.add(g, src)).isTrue(); // a gap
    PageBatch b = enc.build("s", 0, 0, 0);
    byte[] payload = b.getPayload().toByteArray();
    assertThat(payload.length).isEqualTo(b.getRawBytes());
    ByteString pieces = ByteString.EMPTY;
    for (int at = 0; at < payload.length; at += cut) {
      int n = Math.min(cut, payload.length - at);
      java.nio.ByteBuffer d = java.nio.ByteBuffer.allocateDirect(n);
      d.put(payload, at, n).flip();
      pieces = pieces.concat(com.google.protobuf.UnsafeByteOperations.unsafeWrap(d));
    }
    PageBatch received = b.toBuilder().setPayload(pieces).build();
    PageBatchDecoder dec = new PageBatchDecoder(1 << 20);
    dec.decode(received);
    assertThat(dec.count()).isEqualTo(63);
    io.dbmmigrate.memory.ChunkedGuestMemory dst = new io.dbmmigrate.memory.ChunkedGuestMemory(src.slots());
    try {
      dec.applyTo(dst);
      byte[] want = new byte[GuestMemory.PAGE_SIZE];
      byte[] got = new byte[GuestMemory.PAGE_SIZE];
      for (long g = 100; g < 164; g++) {
        Arrays.fill(want, (byte) 0);
        Arrays.fill(got, (byte) 0);
        if (g != 130) src.readPage(g, want, 0);
        dst.readPage(g, got, 0);
        assertThat(got).as("gfn %d", g).isEqualTo(want);
      }
      assertThat(dst.isWritten(110)).as("a zero record leaves a fresh page unbacked").isFalse();
    } finally {
      dst.close();
    }
  }

  @Test
  void refusesAPageWhenTheBatchIsFull() {
    MapGuestMemory src = memoryWithPattern(1);
    PageBatchEncoder enc = new PageBatchEncoder(2 * PageBatchFormat.FULL_RECORD_BYTES, false);
    assertThat(enc.add(102, src)).isTrue();
    assertThat(enc.add(106, src)).isTrue();
    assertThat(enc.add(110, src)).isFalse();
    assertThat(enc.pageCount()).isEqualTo(2);
  }

  @Test
  void detectsACorruptedPayload() throws Exception {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, false);
    enc.add(102, memoryWithPattern(3));
    PageBatch good = enc.build("s", 0, 0, 0);
    byte[] p = good.getPayload().toByteArray();
    p[100] ^= 1;
    PageBatch bad = good.toBuilder().setPayload(ByteString.copyFrom(p)).build();
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    assertThatThrownBy(() -> dec.decode(bad))
        .isInstanceOf(BatchFormatException.class)
        .hasMessageContaining("CRC32C");
    dec.decode(good);
    assertThat(dec.count()).isEqualTo(1);
  }

  @Test
  void rejectsWrongCountsTruncationAndOversize() {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH, false);
    enc.add(102, memoryWithPattern(3));
    enc.add(103, memoryWithPattern(3));
    PageBatch good = enc.build("s", 0, 0, 0);
    PageBatchDecoder dec = new PageBatchDecoder(BATCH);
    assertThatThrownBy(() -> dec.decode(good.toBuilder().setPageCount(3).build()))
        .hasMessageContaining("page_count");
    assertThatThrownBy(() -> dec.decode(good.toBuilder().setPageCount(0).build()))
        .hasMessageContaining("but the index (page_count 0) names 0 non-zero pages");
    byte[] truncated = Arrays.copyOf(good.getPayload().toByteArray(), 4100);
    assertThatThrownBy(() -> dec.decode(withPayload(good, truncated)))
        .hasMessageContaining("page area");
    assertThatThrownBy(() -> new PageBatchDecoder(4104 * 2).decode(good.toBuilder().setRawBytes(1 << 20).build()))
        .hasMessageContaining("exceeds");
  }

  @Test
  void rejectsCorruptLz4EvenWithAValidCrc() {
    byte[] junk = new byte[300];
    new Random(5).nextBytes(junk);
    PageBatch b =
        withPayload(
            PageBatch.newBuilder().setPageCount(1).setRawBytes(4104).setCompression(Compression.COMPRESSION_LZ4).build(),
            junk);
    assertThatThrownBy(() -> new PageBatchDecoder(BATCH).decode(b))
        .isInstanceOf(BatchFormatException.class);
  }

  private static PageBatch withPayload(PageBatch b, byte[] payload) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(payload);
    PageBatch.Builder out = b.toBuilder().setPayload(ByteString.copyFrom(payload)).setCrc32C((int) crc.getValue());
    if (b.getCompression() != Compression.COMPRESSION_LZ4) out.setRawBytes(payload.length);
    return out.build();
  }
}
