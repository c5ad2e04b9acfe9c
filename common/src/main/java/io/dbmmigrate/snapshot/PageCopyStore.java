package io.dbmmigrate.snapshot;

import io.dbmmigrate.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Off-heap page copies for a snapshot: slabs of {@value #SLAB_PAGES} pages, allocated when the
 * first copy needs one; slots are never reused (the store lives as long as one snapshot) and all
 * memory goes with the store (direct buffers, collected with it).
 *
 * <p>Concurrency: {@link #allocate} is synchronized (called by fault handlers, rarely); a slot's
 * bytes are written by the one thread that allocated it before it publishes the slot number (under
 * the snapshot's chunk lock) and only read after that.
 */
final class PageCopyStore {
  static final int SLAB_PAGES = 512;
  private final List<ByteBuffer> slabs = new ArrayList<>();
  private int next;

  /** A fresh slot whose page is a copy of src[position, position + 4096). */
  synchronized int allocate() {
    final int slot = next++;
    if (slot / SLAB_PAGES >= slabs.size())
      slabs.add(ByteBuffer.allocateDirect(SLAB_PAGES * GuestMemory.PAGE_SIZE));
    return slot;
  }

  /** A view of the slot's page (position at its first byte, limit after its last). */
  synchronized ByteBuffer view(int slot) {
    ByteBuffer b = slabs.get(slot / SLAB_PAGES).duplicate();
    int at = (slot % SLAB_PAGES) * GuestMemory.PAGE_SIZE;
    b.limit(at + GuestMemory.PAGE_SIZE).position(at);
    return b;
  }

  synchronized long bytesAllocated() {
    return (long) slabs.size() * SLAB_PAGES * GuestMemory.PAGE_SIZE;
  }
}
