package io.dbmmigrate.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Sparse and preallocated backing files: how much of each is backed (the file's allocated blocks,
 * read with stat(1) through /proc/self/fd, since the files are unlinked), that both read as zeros,
 * and that a guest memory over a preallocated file behaves as over a sparse one.
 */
class BackingFileTest {
  private static final long MIB = 1 << 20;

  /** Bytes the kernel allocated for the (unlinked) file behind ch, from its st_blocks. */
  private static long allocatedBytes(FileChannel ch) throws IOException, InterruptedException {
    // The newest open descriptor on a deleted dbm-guest file is the one under test: each test
    // holds one such file at a time.
    Path fd;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      fd =
          fds.filter(p -> {
                try {
                  String t = Files.readSymbolicLink(p).toString();
                  return t.contains("dbm-guest-") && t.endsWith("(deleted)");
                } catch (IOException e) {
                  return false;
                }
              })
              .reduce((a, b) -> b)
              .orElseThrow(() -> new AssertionError("no open, unlinked dbm-guest file"));
    }
    // stat runs in its own process: name the descriptor through this process's pid.
    Path mine = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", fd.getFileName().toString());
    Process p = new ProcessBuilder("stat", "-L", "-c", "%b %B", mine.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
    assertThat(p.exitValue()).as("stat: %s", String.join(" ", out)).isZero();
    return Long.parseLong(out[0]) * Long.parseLong(out[1]);
  }

  private static boolean allZeros(FileChannel ch, long at, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) if (ch.read(b, at + b.position()) < 0) break;
    for (int i = 0; i < len; i++) if (b.get(i) != 0) return false;
    return true;
  }

  @Test
  void aSparseFileHasItsLengthAndNoBlocks() throws Exception {
    try (FileChannel ch = BackingFile.sparse(BackingFile.defaultDir(), 8 * MIB)) {
      assertThat(ch.size()).isEqualTo(8 * MIB);
      assertThat(allocatedBytes(ch)).isZero();
      assertThat(allZeros(ch, 0, (int) MIB)).isTrue();
    }
  }

  @Test
  void aPreallocatedFileBacksExactlyItsRangesWithZeros() throws Exception {
    // Two ranges, one not a multiple of the 1 MiB chunk, on 2 threads; the rest stays a hole.
    long[] ranges = {0, 2 * MIB, 5 * MIB, MIB + 8192};
    try (FileChannel ch = BackingFile.preallocated(BackingFile.defaultDir(), 8 * MIB, ranges, 2)) {
      assertThat(ch.size()).isEqualTo(8 * MIB);
      assertThat(allocatedBytes(ch)).isEqualTo(3 * MIB + 8192);
      assertThat(allZeros(ch, 0, (int) (8 * MIB))).isTrue();
    }
  }

  @Test
  void preallocationRefusesRangesOutsideTheFileOrOffThePageGrid() {
    Path dir = BackingFile.defaultDir();
    assertThatThrownBy(() -> BackingFile.preallocated(dir, MIB, new long[] {0, 2 * MIB}, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not page-aligned within");
    assertThatThrownBy(() -> BackingFile.preallocated(dir, MIB, new long[] {100, 4096}, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BackingFile.preallocated(dir, MIB, new long[] {0}, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pairs");
    assertThatThrownBy(() -> BackingFile.preallocated(dir, MIB, new long[] {0, 4096}, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aGuestMemoryOverAPreallocatedFileBacksEverySlotPageAndReadsLikeASparseOne() throws Exception {
    // ROM 8 pages at gfn 0, RAM 512 pages from gfn 2^18: each slot starts a 1 GiB file region.
    List<MemorySlotSpec> slots =
        List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 1 << 18, 512, false));
    FileChannel file = ChunkedGuestMemory.preallocatedBacking(slots, BackingFile.defaultDir(), 2);
    assertThat(allocatedBytes(file)).as("every slot page, no padding").isEqualTo((8 + 512) * 4096L);
    ChunkedGuestMemory pre = new ChunkedGuestMemory(slots, file);
    ChunkedGuestMemory sparse = new ChunkedGuestMemory(slots);
    try {
      byte[] content = new byte[4 * 4096];
      new Random(3).nextBytes(content);
      ByteBuffer direct = ByteBuffer.allocateDirect(content.length).put(content).flip();
      for (ChunkedGuestMemory m : List.of(pre, sparse)) {
        m.writePages((1 << 18) + 10, 4, direct, 0);
        m.storeLong((1 << 18) + 100, 8, 0x1234_5678L);
        byte[] back = new byte[4096];
        m.readPage((1 << 18) + 11, back, 0);
        assertThat(back).isEqualTo(java.util.Arrays.copyOfRange(content, 4096, 8192));
        assertThat(m.readLong((1 << 18) + 100, 8)).isEqualTo(0x1234_5678L);
        assertThat(m.isAllocated((1 << 18) + 200)).as("never written, though backed").isFalse();
        assertThat(m.readLong((1 << 18) + 200, 0)).isZero();
        assertThat(m.pagesAllocated()).isEqualTo(5);
      }
      byte[] a = new byte[4096];
      byte[] b = new byte[4096];
      for (long gfn = 1 << 18; gfn < (1 << 18) + 512; gfn++) {
        pre.readPage(gfn, a, 0);
        sparse.readPage(gfn, b, 0);
        assertThat(a).as("gfn %d", gfn).isEqualTo(b);
      }
    } finally {
      pre.close();
      sparse.close();
    }
  }
}
