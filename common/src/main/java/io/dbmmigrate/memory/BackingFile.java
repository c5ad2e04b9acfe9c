package io.dbmmigrate.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The file behind a {@link ChunkedGuestMemory}: created in a directory (tmpfs by default), open
 * read-write and <b>unlinked at once</b>, so no name is left behind even if the process dies and
 * the kernel frees its pages when the last descriptor and mapping go.
 *
 * <p>Two kinds:
 *
 * <ul>
 *   <li>{@link #sparse}: sized with ftruncate; a page costs memory when it is first written (the
 *       default: a never-written guest page costs nothing).
 *   <li>{@link #preallocated}: every page is backed before the file is handed out, as QEMU's
 *       {@code prealloc=on} memory backends do at start-up. A destination that receives a whole
 *       guest pays the host's cost of backing a fresh page once, before the migration, instead of
 *       inside round 0. On the 2-core nested VM this project is measured on that cost dominates
 *       the receiver: the hypervisor below reclaims memory the guest kernel frees (free page
 *       reporting), so a write to a page that was not used recently costs a host fault of about
 *       2 ms per MiB, against 0.4 ms per MiB for a page that is backed (measured with a C probe
 *       that reads a loopback socket and pwrites into tmpfs; README, Benchmarks).
 * </ul>
 *
 * Stateless; the returned channel belongs to the caller.
 */
public final class BackingFile {
  /** Bytes each preallocating thread writes per call. */
  private static final int PREALLOC_CHUNK = 1 << 20;

  private BackingFile() {}

  /** {@code /dev/shm} when it is a writable directory (tmpfs: never written back to a disk), else the temp dir. */
  public static Path defaultDir() {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) return shm;
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** A fresh sparse file of {@code bytes} bytes in dir, open read-write and already unlinked. */
  public static FileChannel sparse(Path dir, long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    Path path = null;
    try {
      path = Files.createTempFile(dir, "dbm-guest-", ".ram");
      RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
      FileChannel ch = raf.getChannel(); // closing the channel closes raf
      try {
        raf.setLength(bytes); // ftruncate: a sparse file, no block allocated
      } catch (IOException e) {
        closeQuietly(ch);
        throw e;
      }
      return ch;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create guest memory in " + dir, e);
    } finally {
      if (path != null) {
        try {
          Files.deleteIfExists(path); // unlink now: the pages live as long as the file is open or mapped
        } catch (IOException e) {
          // the file is valid either way; a leftover name only wastes a directory entry
        }
      }
    }
  }

  /**
   * A file of {@code bytes} bytes in dir whose pages in the given ranges are backed: zeros written
   * by {@code threads} threads with positional writes (on tmpfs each write allocates its pages;
   * the host's cost of backing them is paid here). Content: zeros everywhere, as a sparse file
   * reads; pages outside the ranges stay holes.
   *
   * @param ranges pairs of (offset, length) in bytes, page-aligned, within {@code bytes}
   * @throws GuestMemoryExhaustedException when dir cannot hold the ranges (the file is gone)
   */
  public static FileChannel preallocated(Path dir, long bytes, long[] ranges, int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
    if (ranges.length % 2 != 0) throw new IllegalArgumentException("ranges come in (offset, length) pairs");
    long total = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      long off = ranges[i];
      long len = ranges[i + 1];
      if (off < 0 || len < 0 || off + len > bytes || off % GuestMemory.PAGE_SIZE != 0 || len % GuestMemory.PAGE_SIZE != 0)
        throw new IllegalArgumentException("range [" + off + ", +" + len + ") is not page-aligned within " + bytes);
      total += len;
    }
    final long backedBytes = total;
    // The work: the ranges cut into chunks of at most PREALLOC_CHUNK bytes, handed out by index.
    List<long[]> chunks = new ArrayList<>();
    for (int i = 0; i < ranges.length; i += 2)
      for (long at = ranges[i]; at < ranges[i] + ranges[i + 1]; at += PREALLOC_CHUNK)
        chunks.add(new long[] {at, Math.min(PREALLOC_CHUNK, ranges[i] + ranges[i + 1] - at)});
    FileChannel ch = sparse(dir, bytes);
    Throwable f =
        ParallelChunks.run(
            chunks.size(), threads, "guest-prealloc",
            () -> {
              ByteBuffer zeros = ByteBuffer.allocateDirect(PREALLOC_CHUNK); // zeroed by the JDK
              return c -> {
                long pos = chunks.get(c)[0];
                zeros.clear().limit((int) chunks.get(c)[1]);
                while (zeros.hasRemaining()) pos += ch.write(zeros, pos);
              };
            });
    boolean interrupted = Thread.currentThread().isInterrupted();
    if (f == null && interrupted) f = new InterruptedException();
    if (f != null) {
      closeQuietly(ch);
      String what = "cannot preallocate " + backedBytes + " bytes of guest memory in " + dir;
      if (interrupted || f instanceof ClosedByInterruptException || f instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(what + ": interrupted", f);
      }
      if (f instanceof IOException io) throw new GuestMemoryExhaustedException(what + ": " + io.getMessage(), io);
      throw new IllegalStateException(what + ": " + f, f);
    }
    return ch;
  }

  static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing to save: the file is unlinked
    }
  }
}
