package io.dbmmigrate.machine;

import io.dbmmigrate.digest.ChunkLayout;
import io.dbmmigrate.digest.ChunkSource;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryChunkSource;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.PageReader;
import io.dbmmigrate.snapshot.WriteProtectSnapshot;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest memory image of one instant, for digests and dumps: a write-protect snapshot when the
 * VM can take one (running or paused), else the memory at rest of a paused VM (whose dirty log is
 * on: a migration is in its final phase). Each chunk is read once.
 *
 * <p>Not thread-safe except {@link #chunkSource()} (the parallel digest's contract).
 */
public final class MemoryImage implements AutoCloseable {
  private final GuestMemory mem;
  private final WriteProtectSnapshot snapshot; // null: at rest
  private final ChunkSource source;
  private final ChunkSource.Cursor cursor;
  private final PageReader reader;
  private final String consistency;

  private MemoryImage(GuestMemory mem, WriteProtectSnapshot snapshot, String consistency) {
    this.mem = mem;
    this.snapshot = snapshot;
    this.source = snapshot != null ? snapshot : new MemoryChunkSource(mem);
    this.cursor = source.newCursor();
    this.reader = mem.newReader();
    this.consistency = consistency;
  }

  /**
   * The image of vm now.
   *
   * @throws IllegalStateException when the VM runs and cannot take a snapshot now
   */
  public static MemoryImage of(VirtualMachine vm) {
    boolean running = vm.isRunning();
    try {
      return new MemoryImage(vm.memory(), vm.beginSnapshot(), running ? "snapshot" : "paused");
    } catch (IllegalStateException | UnsupportedOperationException e) {
      if (running && vm.isRunning())
        throw new IllegalStateException("the VM is running and cannot be snapshotted now: " + e.getMessage(), e);
      return new MemoryImage(vm.memory(), null, "paused");
    }
  }

  /** "paused" (memory at rest) or "snapshot" (a running VM's image at one instant). */
  public String consistency() {
    return consistency;
  }

  public ChunkLayout layout() {
    return source.layout();
  }

  public ChunkSource chunkSource() {
    return source;
  }

  /** Pages saved before a guest write (0 at rest). */
  public long pagesCopied() {
    return snapshot == null ? 0 : snapshot.pagesCopied();
  }

  /**
   * Copies chunk c of the image to dst at its position (never-written pages as zeros) and advances
   * the position by the chunk's length.
   */
  public void readChunk(int c, ByteBuffer dst) {
    final ChunkLayout l = source.layout();
    if (snapshot != null) {
      snapshot.readChunk(c, cursor, (gfn, page) -> putPage(dst, page), false);
      return;
    }
    for (long gfn = l.firstGfn(c); gfn < l.endGfn(c); gfn++) putPage(dst, reader.page(gfn));
  }

  private static void putPage(ByteBuffer dst, ByteBuffer page) {
    if (page != null) {
      dst.put(page);
    } else {
      final int end = dst.position() + GuestMemory.PAGE_SIZE;
      while (dst.position() < end) dst.putLong(0L);
    }
  }

  /**
   * The tree digest, and the flat one when asked: at rest in parallel (flat as the second pass);
   * through a snapshot with the flat, one sequential pass that feeds both (each chunk is read once).
   *
   * @throws java.util.concurrent.CancellationException when stop answered true
   */
  public Digest digest(MemoryDigester digester, boolean flat, java.util.function.BooleanSupplier stop) {
    if (!flat) return digester.digest(source, null, stop);
    if (snapshot == null) return digester.digest(source, mem, stop);
    final long t0 = System.nanoTime();
    final ChunkLayout l = source.layout();
    final ByteBuffer buf = ByteBuffer.allocateDirect((int) l.chunkBytes());
    final MessageDigest flatMd = MemoryDigester.sha256();
    final MessageDigest chunkMd = MemoryDigester.sha256();
    final List<byte[]> chunks = new ArrayList<>(l.chunkCount());
    for (int c = 0; c < l.chunkCount(); c++) {
      if (stop.getAsBoolean()) throw new java.util.concurrent.CancellationException("digest stopped");
      buf.clear();
      readChunk(c, buf);
      buf.flip();
      chunkMd.update(buf.duplicate());
      flatMd.update(buf);
      chunks.add(chunkMd.digest());
    }
    return new Digest(
        Digest.rootOf(chunks), chunks, flatMd.digest(), l.chunkBytes(), l.memoryBytes(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public void close() {
    if (snapshot != null) snapshot.close();
  }
}
