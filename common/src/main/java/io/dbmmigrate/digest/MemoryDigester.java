package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.memory.PageReader;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Computes {@link Digest}s of guest memory: SHA-256 over all slots in slot order (never-written
 * pages hashed as zeros), and per-chunk SHA-256 digests over {@value #DEFAULT_CHUNK_BYTES}-byte
 * chunks of each slot, in parallel.
 *
 * <p>The memory must not change while it is hashed (a paused or receiving VM); otherwise the digest
 * describes no single moment.
 */
public final class MemoryDigester {
  public static final long DEFAULT_CHUNK_BYTES = 2L << 20;
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  private final int threads;

  /** @param threads threads for the chunk digests (the flat digest is inherently sequential) */
  public MemoryDigester(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
    this.threads = threads;
  }

  public static MemoryDigester withAvailableProcessors() {
    return new MemoryDigester(Runtime.getRuntime().availableProcessors());
  }

  /** Pages hashed between two checks of the stop condition (1 MiB: well under a millisecond). */
  static final int STOP_CHECK_PAGES = 256;
  private static final BooleanSupplier NEVER = () -> false;

  /** Digest of all of mem; with chunk digests when withChunks. */
  public Digest digest(GuestMemory mem, boolean withChunks) {
    return digest(mem, withChunks, NEVER);
  }

  /**
   * Digest of all of mem, stopping early when stop answers true: checked every {@value
   * #STOP_CHECK_PAGES} pages by every hashing thread, so a stop takes effect within about a
   * millisecond of hashing.
   *
   * @throws CancellationException when stopped (no digest)
   */
  public Digest digest(GuestMemory mem, boolean withChunks, BooleanSupplier stop) {
    final long t0 = System.nanoTime();
    List<MemorySlotSpec> slots = mem.slots();
    long memoryBytes = 0;
    for (MemorySlotSpec s : slots) memoryBytes += s.sizeBytes();
    List<byte[]> chunks = List.of();
    ExecutorService pool = null;
    List<Future<byte[]>> futures = null;
    try {
      if (withChunks) {
        pool = Executors.newFixedThreadPool(threads, r -> {
          Thread t = new Thread(r, "digest-chunk");
          t.setDaemon(true);
          return t;
        });
        futures = new ArrayList<>();
        for (MemorySlotSpec s : slots) {
          final long pagesPerChunk = DEFAULT_CHUNK_BYTES / GuestMemory.PAGE_SIZE;
          for (long g = s.baseGfn(); g < s.endGfn(); g += pagesPerChunk) {
            final long from = g;
            final long to = Math.min(s.endGfn(), g + pagesPerChunk);
            futures.add(pool.submit(() -> hashPages(mem, from, to, stop)));
          }
        }
      }
      MessageDigest flat = sha256();
      final PageReader reader = mem.newReader();
      for (MemorySlotSpec s : slots) updatePages(flat, reader, s.baseGfn(), s.endGfn(), stop);
      byte[] flatDigest = flat.digest();
      if (withChunks) {
        chunks = new ArrayList<>(futures.size());
        for (Future<byte[]> f : futures) chunks.add(f.get());
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      return new Digest(
          flatDigest, List.copyOf(chunks), DEFAULT_CHUNK_BYTES, memoryBytes, millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while hashing guest memory", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CancellationException c) throw c;
      throw new IllegalStateException("hashing guest memory failed", e.getCause());
    } finally {
      if (pool != null) pool.shutdownNow();
    }
  }

  private static byte[] hashPages(GuestMemory mem, long fromGfn, long toGfn, BooleanSupplier stop) {
    MessageDigest md = sha256();
    updatePages(md, mem.newReader(), fromGfn, toGfn, stop);
    return md.digest();
  }

  /** Hashes the pages in place (a direct buffer goes to the digest without a heap copy). */
  private static void updatePages(
      MessageDigest md, PageReader reader, long fromGfn, long toGfn, BooleanSupplier stop) {
    for (long gfn = fromGfn; gfn < toGfn; gfn++) {
      if ((gfn & (STOP_CHECK_PAGES - 1)) == 0 && stop.getAsBoolean())
        throw new CancellationException("hashing stopped at gfn 0x" + Long.toHexString(gfn));
      final ByteBuffer page = reader.page(gfn);
      if (page != null) md.update(page);
      else md.update(ZERO_PAGE, 0, ZERO_PAGE.length);
    }
  }

  /** The guest-physical range of chunk index i under the given slot layout. */
  public static ChunkRange rangeOfChunk(List<MemorySlotSpec> slots, long chunkBytes, int index) {
    long i = index;
    for (MemorySlotSpec s : slots) {
      long n = (s.sizeBytes() + chunkBytes - 1) / chunkBytes;
      if (i < n) {
        long start = s.baseGfn() * GuestMemory.PAGE_SIZE + i * chunkBytes;
        long end = Math.min(start + chunkBytes, s.endGfn() * GuestMemory.PAGE_SIZE);
        return new ChunkRange(start, end - start);
      }
      i -= n;
    }
    throw new IndexOutOfBoundsException("chunk " + index + " is beyond the guest memory");
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

}
