package io.dbmmigrate.testing;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A simple, single-threaded GuestMemory for codec and digest tests (pages in a map). */
public final class MapGuestMemory implements GuestMemory {
  private final List<MemorySlotSpec> slots;
  private final Map<Long, byte[]> pages = new HashMap<>();

  public MapGuestMemory(List<MemorySlotSpec> slots) {
    this.slots = List.copyOf(slots);
  }

  @Override
  public List<MemorySlotSpec> slots() {
    return slots;
  }

  @Override
  public long totalPages() {
    return slots.stream().mapToLong(MemorySlotSpec::pageCount).sum();
  }

  @Override
  public long gfnLimit() {
    return slots.stream().mapToLong(MemorySlotSpec::endGfn).max().orElse(0);
  }

  @Override
  public MemorySlotSpec slotOf(long gfn) {
    for (MemorySlotSpec s : slots) if (s.contains(gfn)) return s;
    return null;
  }

  private void check(long gfn) {
    if (slotOf(gfn) == null) throw new IndexOutOfBoundsException("gfn " + gfn);
  }

  @Override
  public boolean readPage(long gfn, byte[] dst, int off) {
    check(gfn);
    byte[] p = pages.get(gfn);
    if (p == null) return false;
    System.arraycopy(p, 0, dst, off, PAGE_SIZE);
    return true;
  }

  @Override
  public void writePage(long gfn, byte[] src, int off) {
    check(gfn);
    byte[] p = pages.computeIfAbsent(gfn, g -> new byte[PAGE_SIZE]);
    System.arraycopy(src, off, p, 0, PAGE_SIZE);
  }

  @Override
  public void zeroPage(long gfn) {
    check(gfn);
    byte[] p = pages.get(gfn);
    if (p != null) java.util.Arrays.fill(p, (byte) 0);
  }

  @Override
  public long residentBytes() {
    return (long) pages.size() * PAGE_SIZE;
  }
}
