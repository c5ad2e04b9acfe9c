package io.dbmmigrate.memory;

/**
 * One guest-physical memory slot: {@code pageCount} 4 KiB pages starting at guest frame
 * {@code baseGfn}. A read-only slot (ROM) can never be written by the guest; its content is set by
 * the host (at creation, or by the migration's round 0).
 */
public record MemorySlotSpec(int id, String name, long baseGfn, long pageCount, boolean readOnly) {
  public MemorySlotSpec {
    if (pageCount <= 0) throw new IllegalArgumentException("slot " + name + ": pageCount must be > 0");
    if (baseGfn < 0) throw new IllegalArgumentException("slot " + name + ": baseGfn must be >= 0");
  }

  /** One past the last gfn of the slot. */
  public long endGfn() {
    return baseGfn + pageCount;
  }

  public boolean contains(long gfn) {
    return gfn >= baseGfn && gfn < endGfn();
  }

  public long sizeBytes() {
    return pageCount * GuestMemory.PAGE_SIZE;
  }
}
