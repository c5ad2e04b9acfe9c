package io.dbmmigrate.mmu;

/**
 * Where the MMU records a dirty page in software: the dirty log's bitmap (KVM's {@code
 * mark_page_dirty}). Called by permission faults (before the PTE is made writable) and by every
 * path that replaces a hardware-dirty PTE (before the replacement is visible to a sync harvest).
 * Must be thread-safe (atomic bit set).
 */
@FunctionalInterface
public interface DirtyPageRecorder {
  void markDirty(long gfn);
}
