package io.dbmmigrate.mmu;

/**
 * The "missing" state of post-copy (Linux userfaultfd's MISSING mode): pages the destination has
 * not received yet. {@link Stage2Mmu} asks the hook before every guest write access, outside the
 * store window, so that a vCPU waiting for a page never holds up a TLB invalidation or a harvest.
 *
 * <p>Implementations must make the page's content visible before {@link #isMissing} turns false
 * (the vCPU stores into the page right after), and must not block in {@link #isMissing}.
 */
public interface MissingPageHook {
  /** Whether page {@code gfn} has not arrived yet. Called on every store: cheap, non-blocking. */
  boolean isMissing(long gfn);

  /** Blocks vCPU {@code vcpu} until page {@code gfn} is present (or the VM closes). */
  void awaitPresent(int vcpu, long gfn);
}
