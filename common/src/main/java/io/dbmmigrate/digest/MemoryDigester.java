package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.memory.PageReader;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Computes {@link Digest}s of guest memory in <b>one parallel pass</b>: the tree (SHA-256 per
 * {@value #DEFAULT_CHUNK_BYTES}-byte chunk, computed by {@code threads} threads that take chunks
 * from a shared counter, and a root over the chunk digests). A chunk with no written page costs no
 * hashing: its digest is the precomputed digest of a zero chunk. The flat SHA-256 (equal to {@code
 * sha256sum} of a raw dump; inherently sequential, so one thread beside the tree) only when asked.
 *
 * <p>Stop: {@code stop} is checked before every chunk by every thread, so a stop takes effect within
 * about a millisecond of hashing; the digest then throws {@link CancellationException}.
 *
 * <p>Concurrency: each call is independent (its own threads, its own digests); the zero-chunk
 * cache is a concurrent map written once per chunk length.
 */
public final class MemoryDigester {
  public static final long DEFAULT_CHUNK_BYTES = 2L << 20;
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];
  private static final BooleanSupplier NEVER = () -> false;

  private final int threads;
  private final ConcurrentHashMap<Long, byte[]> zeroChunkDigests = new ConcurrentHashMap<>();

  /** @param threads threads hashing chunks */
  public MemoryDigester(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
    this.threads = threads;
  }

  public static MemoryDigester withAvailableProcessors() {
    return new MemoryDigester(Runtime.getRuntime().availableProcessors());
  }

  public int threads() {
    return threads;
  }

  /** The tree digest of memory at rest. */
  public Digest tree(GuestMemory mem) {
    return digest(new MemoryChunkSource(mem), null, NEVER);
  }

  /** The tree digest of memory at rest, stopping when stop answers true. */
  public Digest tree(GuestMemory mem, BooleanSupplier stop) {
    return digest(new MemoryChunkSource(mem), null, stop);
  }

  /** The tree digest and, in the same call, the flat SHA-256 (one more sequential pass). */
  public Digest treeAndFlat(GuestMemory mem) {
    return digest(new MemoryChunkSource(mem), mem, NEVER);
  }

  /** The tree digest and, when flat, the flat SHA-256 too. */
  public Digest digest(GuestMemory mem, boolean flat) {
    return digest(new MemoryChunkSource(mem), flat ? mem : null, NEVER);
  }

  /**
   * The tree digest of a chunk source; with {@code flatOf} non-null also the flat SHA-256 of that
   * memory, hashed sequentially by the calling thread while the pool hashes the chunks.
   *
   * @throws CancellationException when stopped (no digest)
   */
  public Digest digest(ChunkSource source, GuestMemory flatOf, BooleanSupplier stop) {
    final long t0 = System.nanoTime();
    final ChunkLayout layout = source.layout();
    final int n = layout.chunkCount();
    final byte[][] chunks = new byte[n][];
    final AtomicInteger next = new AtomicInteger();
    final int workers = (int) Math.min(threads, Math.max(1, n));
    ExecutorService pool =
        Executors.newFixedThreadPool(workers, r -> {
          Thread t = new Thread(r, "digest-chunk");
          t.setDaemon(true);
          return t;
        });
    try {
      List<Future<?>> futures = new ArrayList<>(workers);
      for (int w = 0; w < workers; w++)
        futures.add(pool.submit(() -> hashChunks(source, layout, chunks, next, stop)));
      byte[] flat = null;
      if (flatOf != null) flat = flat(flatOf, stop);
      for (Future<?> f : futures) f.get();
      List<byte[]> list = Arrays.asList(chunks);
      long millis = (System.nanoTime() - t0) / 1_000_000;
      return new Digest(
          Digest.rootOf(list), list, flat, layout.chunkBytes(), layout.memoryBytes(), millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while hashing guest memory", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CancellationException c) throw c;
      throw new IllegalStateException("hashing guest memory failed", e.getCause());
    } finally {
      next.set(n); // a stopped or failed digest: the other workers take no further chunk
      pool.shutdownNow();
    }
  }

  /** One worker: takes chunks from the shared counter until none is left. */
  private Void hashChunks(
      ChunkSource source, ChunkLayout layout, byte[][] out, AtomicInteger next, BooleanSupplier stop) {
    final MessageDigest md = sha256();
    final ChunkSource.Cursor cursor = source.newCursor();
    final int n = out.length;
    for (int c = next.getAndIncrement(); c < n; c = next.getAndIncrement()) {
      if (stop.getAsBoolean())
        throw new CancellationException(
            "hashing stopped at gfn 0x" + Long.toHexString(layout.firstGfn(c)));
      out[c] = source.hashChunk(c, cursor, md) ? md.digest() : zeroChunk(layout, c, md);
    }
    return null;
  }

  /** The digest of a chunk of zeros as long as chunk c (computed once per length). */
  byte[] zeroChunk(ChunkLayout layout, int c, MessageDigest md) {
    final long pages = layout.endGfn(c) - layout.firstGfn(c);
    byte[] d = zeroChunkDigests.get(pages);
    if (d != null) return d;
    md.reset();
    for (long i = 0; i < pages; i++) md.update(ZERO_PAGE);
    d = md.digest();
    zeroChunkDigests.putIfAbsent(pages, d);
    return d;
  }

  /** The flat SHA-256 over all slots in slot order (never-written pages as zeros). */
  private static byte[] flat(GuestMemory mem, BooleanSupplier stop) {
    final MessageDigest md = sha256();
    final PageReader reader = mem.newReader();
    for (MemorySlotSpec s : mem.slots()) {
      for (long gfn = s.baseGfn(); gfn < s.endGfn(); gfn++) {
        if ((gfn & 511) == 0 && stop.getAsBoolean())
          throw new CancellationException("hashing stopped at gfn 0x" + Long.toHexString(gfn));
        final ByteBuffer page = reader.page(gfn);
        if (page != null) md.update(page);
        else md.update(ZERO_PAGE, 0, ZERO_PAGE.length);
      }
    }
    return md.digest();
  }

  /** The guest-physical range of chunk index i under the given slot layout. */
  public static ChunkRange rangeOfChunk(List<MemorySlotSpec> slots, long chunkBytes, int index) {
    return new ChunkLayout(slots, chunkBytes).range(index);
  }

  /** A fresh SHA-256 (the JDK's, with its CPU intrinsics). */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
