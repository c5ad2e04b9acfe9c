package io.dbmmigrate.memory;

import java.nio.ByteBuffer;

/** {@link PageReader} for memories without in-place views (test doubles): copies into one buffer. */
final class CopyingPageReader implements PageReader {
  private final GuestMemory memory;
  private final byte[] page = new byte[GuestMemory.PAGE_SIZE];
  private final ByteBuffer view = ByteBuffer.wrap(page);

  CopyingPageReader(GuestMemory memory) {
    this.memory = memory;
  }

  @Override
  public ByteBuffer page(long gfn) {
    if (!memory.readPage(gfn, page, 0)) return null;
    view.clear();
    return view;
  }
}
