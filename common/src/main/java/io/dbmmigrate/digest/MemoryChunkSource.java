package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.PageReader;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Guest memory that does not change while it is hashed (a paused VM, a receiving destination):
 * pages are hashed in place (a direct buffer goes to the digest without a heap copy), or, where
 * the memory reads a whole chunk more cheaply in bulk ({@link PageReader#run}: pages the kernel
 * placed and this process never mapped, as on a destination), read with one copy into the
 * cursor's bounce buffer and hashed from there.
 */
public final class MemoryChunkSource implements ChunkSource {
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];
  private final GuestMemory mem;
  private final ChunkLayout layout;

  public MemoryChunkSource(GuestMemory mem) {
    this.mem = mem;
    this.layout = ChunkLayout.of(mem);
  }

  @Override
  public ChunkLayout layout() {
    return layout;
  }

  @Override
  public Cursor newCursor() {
    final long maxChunk = layout.chunkBytes();
    return new ReaderCursor(
        mem.newReader(),
        maxChunk <= MAX_BOUNCE_BYTES ? ByteBuffer.allocateDirect((int) maxChunk) : null);
  }

  /** Largest chunk read in bulk (larger chunks are hashed page by page). */
  private static final long MAX_BOUNCE_BYTES = 64L << 20;

  private record ReaderCursor(PageReader reader, ByteBuffer bounce) implements Cursor {}

  @Override
  public boolean hashChunk(int chunk, Cursor cursor, MessageDigest md) {
    final long from = layout.firstGfn(chunk);
    final long to = layout.endGfn(chunk);
    long g = from;
    while (g < to && !mem.isWritten(g)) g++;
    if (g == to) return false; // nothing written: the zero chunk's digest
    final ReaderCursor c = (ReaderCursor) cursor;
    final PageReader reader = c.reader();
    if (c.bounce() != null) {
      final ByteBuffer run = reader.run(from, (int) (to - from), c.bounce());
      if (run != null) {
        md.update(run);
        return true;
      }
    }
    for (long gfn = from; gfn < to; gfn++) {
      final ByteBuffer page = reader.page(gfn);
      if (page != null) md.update(page);
      else md.update(ZERO_PAGE, 0, GuestMemory.PAGE_SIZE);
    }
    return true;
  }
}
