package io.dbmmigrate.digest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.testing.MapGuestMemory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryDigesterTest {
  private static final List<MemorySlotSpec> SLOTS =
      List.of(
          new MemorySlotSpec(0, "rom", 0, 16, true),
          new MemorySlotSpec(1, "ram", 1024, 1536, false)); // 6 MiB: 3 chunks

  private static MapGuestMemory sample() {
    MapGuestMemory m = new MapGuestMemory(SLOTS);
    Random r = new Random(42);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (int i = 0; i < 50; i++) {
      r.nextBytes(page);
      long gfn = i < 5 ? i : 1024 + r.nextInt(1536);
      m.writePage(gfn, page, 0);
    }
    return m;
  }

  @Test
  void flatDigestEqualsSha256sumOfARawDump(@TempDir Path dir) throws Exception {
    MapGuestMemory m = sample();
    Path dump = dir.resolve("guest.raw");
    try (OutputStream out = Files.newOutputStream(dump)) {
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      for (MemorySlotSpec s : SLOTS)
        for (long g = s.baseGfn(); g < s.endGfn(); g++) {
          java.util.Arrays.fill(page, (byte) 0);
          m.readPage(g, page, 0);
          out.write(page);
        }
    }
    Digest d = new MemoryDigester(2).treeAndFlat(m);
    assertThat(d.flatHex()).isEqualTo(sha256sum(dump));
    assertThat(new MemoryDigester(2).tree(m).hasFlat()).as("flat only on request").isFalse();
    assertThat(d.memoryBytes()).isEqualTo((16 + 1536) * 4096L);
  }

  @Test
  void chunkDigestsLocateTheDifference() {
    MapGuestMemory a = sample();
    MapGuestMemory b = sample();
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    page[17] = 1;
    long gfn = 1024 + 600; // second RAM chunk (RAM chunk 1 = pages 512..1023 of the slot)
    b.writePage(gfn, page, 0);
    MemoryDigester digester = new MemoryDigester(2);
    Digest da = digester.tree(a);
    Digest db = digester.tree(b);
    assertThat(da.sameMemoryAs(db)).isFalse();
    assertThat(da.chunkSha256()).hasSize(1 + 3);
    List<Integer> diff = da.differingChunks(db);
    assertThat(diff).containsExactly(2);
    ChunkRange range = MemoryDigester.rangeOfChunk(SLOTS, da.chunkBytes(), diff.get(0));
    assertThat(range.startGpa()).isEqualTo((1024 + 512) * 4096L);
    assertThat(gfn * 4096).isBetween(range.startGpa(), range.startGpa() + range.lengthBytes() - 1);
    assertThat(digester.tree(a).sameMemoryAs(da)).isTrue();
  }

  @Test
  void treeRootIsTheSha256OfTheChunkDigestsAndIndependentOfThreads() throws Exception {
    MapGuestMemory m = sample();
    Digest one = new MemoryDigester(1).tree(m);
    Digest three = new MemoryDigester(3).tree(m);
    assertThat(one.hex()).isEqualTo(three.hex());
    assertThat(one.chunkCount()).isEqualTo(1 + 3);
    java.security.MessageDigest md = MemoryDigester.sha256();
    for (byte[] c : one.chunkSha256()) md.update(c);
    assertThat(one.treeRoot()).isEqualTo(md.digest());
    // Every chunk digest is the SHA-256 of that range of a raw dump (zero chunks included).
    ChunkLayout layout = ChunkLayout.of(m);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (int c = 0; c < layout.chunkCount(); c++) {
      java.security.MessageDigest cm = MemoryDigester.sha256();
      for (long g = layout.firstGfn(c); g < layout.endGfn(c); g++) {
        java.util.Arrays.fill(page, (byte) 0);
        m.readPage(g, page, 0);
        cm.update(page);
      }
      assertThat(one.chunkSha256().get(c)).as("chunk %d", c).isEqualTo(cm.digest());
    }
  }

  @Test
  void anUnwrittenGuestHasTheZeroChunkDigests() {
    MapGuestMemory empty = new MapGuestMemory(SLOTS);
    Digest d = new MemoryDigester(2).treeAndFlat(empty);
    java.security.MessageDigest md = MemoryDigester.sha256();
    for (int i = 0; i < 512; i++) md.update(new byte[GuestMemory.PAGE_SIZE]);
    assertThat(d.chunkSha256().get(1)).isEqualTo(md.digest());
    assertThat(d.sameMemoryAs(new MemoryDigester(1).tree(sample()))).isFalse();
  }

  private static String sha256sum(Path file) throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder("sha256sum", file.toString()).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      if (p.waitFor() == 0) return out.split("\\s+")[0];
    } catch (IOException noTool) {
      // fall through to the JDK
    }
    java.security.MessageDigest md = MemoryDigester.sha256();
    return java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
  }
}
