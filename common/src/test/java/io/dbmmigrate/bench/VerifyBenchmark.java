package io.dbmmigrate.bench;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.util.ByteSize;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Digest throughput against the machine's own SHA-256 bound, measured in the same run: the
 * single-core SHA-256 throughput of the JDK over a direct buffer, times the core count, is what a
 * tree digest could reach at best; the target is 0.8 of it. Guests of the given sizes, sparse
 * (never written: zero chunks cost no hashing) and fully written (every page non-zero). Best of N
 * (the machine is shared). A fully written guest is skipped when the machine lacks the memory.
 *
 * <p>Arguments: {@code [--sizes 1g,16g] [--iterations 3]}. Prints {@code RESULT name=value}.
 */
public final class VerifyBenchmark {
  public static void main(String[] args) throws Exception {
    List<Long> sizes = new ArrayList<>(List.of(1L << 30, 16L << 30));
    int iterations = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> {
          sizes.clear();
          for (String s : args[++i].split(",")) sizes.add(ByteSize.parse(s));
        }
        case "--iterations" -> iterations = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    final int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "load average before: %s%n", loadAverage());
    double single = singleCoreSha256MBps(iterations);
    System.out.printf(Locale.ROOT, "RESULT sha256_single_core_mbps=%.0f%n", single);
    System.out.printf(Locale.ROOT, "RESULT cores=%d%n", cores);
    System.out.printf(Locale.ROOT, "RESULT sha256_bound_mbps=%.0f%n", single * cores);
    MemoryDigester digester = new MemoryDigester(cores);
    for (long size : sizes) {
      String label = size % (1L << 30) == 0 ? (size >> 30) + "g" : (size >> 20) + "m";
      List<MemorySlotSpec> slots = List.of(new MemorySlotSpec(1, "ram", 1L << 18, size / GuestMemory.PAGE_SIZE, false));
      try (Closeable mem = new Closeable(new ChunkedGuestMemory(slots))) {
        double sparse = bestTreeMBps(digester, mem.m, size, iterations);
        System.out.printf(Locale.ROOT, "RESULT tree_%s_sparse_mbps=%.0f%n", label, sparse);
        if (!fits(size)) {
          System.out.printf(Locale.ROOT,
              "tree_%s_written: SKIPPED, %d MiB available, a fully written guest needs %d MiB%n",
              label, availableBytes() >> 20, size >> 20);
          continue;
        }
        fill(mem.m);
        double written = bestTreeMBps(digester, mem.m, size, iterations);
        System.out.printf(Locale.ROOT, "RESULT tree_%s_written_mbps=%.0f%n", label, written);
        System.out.printf(Locale.ROOT, "RESULT tree_%s_written_ratio=%.3f%n", label, written / (single * cores));
        if (size <= (1L << 30)) {
          long t0 = System.nanoTime();
          Digest d = digester.treeAndFlat(mem.m);
          double s = (System.nanoTime() - t0) / 1e9;
          System.out.printf(Locale.ROOT, "RESULT tree_and_flat_%s_written_mbps=%.0f (flat %s...)%n",
              label, size / 1e6 / s, d.flatHex().substring(0, 12));
        }
      }
    }
    System.out.printf(Locale.ROOT, "load average after: %s%n", loadAverage());
  }

  private record Closeable(ChunkedGuestMemory m) implements AutoCloseable {
    @Override
    public void close() {
      m.close();
    }
  }

  /** Every page non-zero and distinct (so no chunk is a zero chunk). */
  private static void fill(ChunkedGuestMemory mem) {
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (MemorySlotSpec s : mem.slots())
      for (long g = s.baseGfn(); g < s.endGfn(); g++) {
        for (int i = 0; i < page.length; i += 512) page[i] = (byte) (g + i);
        page[7] = (byte) (g >>> 8);
        page[8] = 1;
        mem.writePage(g, page, 0);
      }
  }

  private static double bestTreeMBps(MemoryDigester d, GuestMemory mem, long size, int iterations) {
    double best = 0;
    for (int i = 0; i < iterations; i++) {
      long t0 = System.nanoTime();
      d.tree(mem);
      double s = (System.nanoTime() - t0) / 1e9;
      best = Math.max(best, size / 1e6 / s);
    }
    return best;
  }

  /** One thread, SHA-256 of a 64 MiB direct buffer, best of N passes of 256 MiB. */
  private static double singleCoreSha256MBps(int iterations) {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 << 20);
    for (int i = 0; i < buf.capacity(); i += 8) buf.putLong(i, i * 0x9E3779B97F4A7C15L);
    MessageDigest md = MemoryDigester.sha256();
    double best = 0;
    for (int it = 0; it < iterations + 1; it++) { // +1: the first pass warms the intrinsic up
      long t0 = System.nanoTime();
      for (int k = 0; k < 4; k++) {
        buf.clear();
        md.update(buf);
      }
      md.digest();
      double s = (System.nanoTime() - t0) / 1e9;
      if (it > 0) best = Math.max(best, (256L << 20) / 1e6 / s);
    }
    return best;
  }

  private static boolean fits(long size) {
    return availableBytes() > size + (3L << 30);
  }

  private static long availableBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
        if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    } catch (Exception e) {
      // not Linux
    }
    return Runtime.getRuntime().maxMemory();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }
}
