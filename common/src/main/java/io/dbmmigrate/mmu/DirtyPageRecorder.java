package io.dbmmigrate.mmu;

/**
 * Where the MMU records a dirty page in software: the dirty log's bitmap (KVM's {@code
 * mark_page_dirty}), or, for modes to come, a per-vCPU ring. Called by fault handlers (before the
 * PTE is made writable) and by every path that replaces a hardware-dirty PTE (before the
 * replacement is visible to a sync harvest). Must be thread-safe (atomic bit set).
 */
@FunctionalInterface
public interface DirtyPageRecorder {
  /** {@code vcpu} for host paths (remap, split) that no vCPU caused. */
  int HOST = -1;

  /**
   * @param vcpu the vCPU whose write faulted, or {@link #HOST}
   * @param gfn the page
   */
  void markDirty(int vcpu, long gfn);
}
