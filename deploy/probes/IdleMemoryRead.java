import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * How fast this machine reads memory that nobody touched for a while: maps SIZE_MIB of tmpfs
 * (/dev/shm), fills it with random pages, sleeps, then copies its first half page by page into a
 * heap buffer through the mapping (as the source's sender does), reads its second half with pread,
 * and copies the first half once more (memory just touched). Repeats for each sleep given.
 *
 * <p>Run: {@code java deploy/probes/IdleMemoryRead.java [SIZE_MIB] [SLEEP_S...]} (default 2048 MiB;
 * sleeps 3 10 40). On the project's 2-core test VM the first pass after 20-40 s of sleep ran at a
 * third of the speed of one after 3-10 s (README, transfer benchmark).
 */
public class IdleMemoryRead {
  private static final int PAGE = 4096;
  private static final int REGION = 1 << 30;

  public static void main(String[] args) throws Exception {
    long size = (args.length > 0 ? Long.parseLong(args[0]) : 2048) << 20;
    int[] sleeps = args.length > 1 ? new int[args.length - 1] : new int[] {3, 10, 40};
    for (int i = 1; i < args.length; i++) sleeps[i - 1] = Integer.parseInt(args[i]);
    for (int sleep : sleeps) {
      System.out.printf("sleep %3d s: %s%n", sleep, measure(size, sleep));
    }
  }

  private static String measure(long size, int sleepSeconds) throws IOException, InterruptedException {
    Path file = Files.createTempFile(Path.of("/dev/shm"), "idle-memory-read", ".bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.truncate(size);
      MappedByteBuffer[] regions = new MappedByteBuffer[(int) ((size + REGION - 1) / REGION)];
      for (int r = 0; r < regions.length; r++)
        regions[r] = ch.map(FileChannel.MapMode.READ_WRITE, (long) r * REGION, Math.min(REGION, size - (long) r * REGION));
      Random random = new Random(1);
      byte[] page = new byte[PAGE];
      for (MappedByteBuffer m : regions)
        for (int off = 0; off < m.capacity(); off += PAGE) {
          random.nextBytes(page);
          m.put(off, page, 0, PAGE);
        }
      Thread.sleep(sleepSeconds * 1000L);
      // The first half through the mapping, the second with pread: both untouched since the fill.
      final long half = size / 2;
      byte[] batch = new byte[1 << 20];
      long sum = 0;
      long t0 = System.nanoTime();
      for (long pos = 0; pos < half; pos += PAGE) {
        int at = (int) (pos & (batch.length - 1));
        regions[(int) (pos / REGION)].get((int) (pos % REGION), batch, at, PAGE);
        sum += batch[at];
      }
      long t1 = System.nanoTime();
      ByteBuffer direct = ByteBuffer.allocateDirect(1 << 20);
      for (long pos = half; pos < size; pos += direct.capacity()) {
        direct.clear();
        ch.read(direct, pos);
        sum += direct.get(0);
      }
      long t2 = System.nanoTime();
      long t3 = System.nanoTime();
      for (long pos = 0; pos < half; pos += PAGE) { // again, right after: the warm figure
        int at = (int) (pos & (batch.length - 1));
        regions[(int) (pos / REGION)].get((int) (pos % REGION), batch, at, PAGE);
        sum += batch[at];
      }
      long t4 = System.nanoTime();
      return String.format(
          "copy through the mapping %.0f MB/s, pread %.0f MB/s; the mapping again right after %.0f MB/s"
              + " (checksum %d)",
          half / ((t1 - t0) / 1e3), (size - half) / ((t2 - t1) / 1e3), half / ((t4 - t3) / 1e3), sum);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
