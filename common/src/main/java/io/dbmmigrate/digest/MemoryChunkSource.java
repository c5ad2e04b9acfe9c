package io.dbmmigrate.digest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.PageReader;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Guest memory that does not change while it is hashed (a paused VM, a receiving destination):
 * pages are hashed in place (a direct buffer goes to the digest without a heap copy).
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
    return new ReaderCursor(mem.newReader());
  }

  private record ReaderCursor(PageReader reader) implements Cursor {}

  @Override
  public boolean hashChunk(int chunk, Cursor cursor, MessageDigest md) {
    final long from = layout.firstGfn(chunk);
    final long to = layout.endGfn(chunk);
    long g = from;
    while (g < to && !mem.isWritten(g)) g++;
    if (g == to) return false; // nothing written: the zero chunk's digest
    final PageReader reader = ((ReaderCursor) cursor).reader();
    for (long gfn = from; gfn < to; gfn++) {
      final ByteBuffer page = reader.page(gfn);
      if (page != null) md.update(page);
      else md.update(ZERO_PAGE, 0, GuestMemory.PAGE_SIZE);
    }
    return true;
  }
}
