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
    Digest d = new MemoryDigester(2).digest(m, false);
    assertThat(d.hex()).isEqualTo(sha256sum(dump));
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
    Digest da = digester.digest(a, true);
    Digest db = digester.digest(b, true);
    assertThat(da.sameMemoryAs(db)).isFalse();
    assertThat(da.chunkSha256()).hasSize(1 + 3);
    List<Integer> diff = da.differingChunks(db);
    assertThat(diff).containsExactly(2);
    ChunkRange range = MemoryDigester.rangeOfChunk(SLOTS, da.chunkBytes(), diff.get(0));
    assertThat(range.startGpa()).isEqualTo((1024 + 512) * 4096L);
    assertThat(gfn * 4096).isBetween(range.startGpa(), range.startGpa() + range.lengthBytes() - 1);
    assertThat(digester.digest(a, true).sameMemoryAs(da)).isTrue();
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
