package io.dbmmigrate.mmu;

/**
 * What the MMU does to a PTE on one {@link FaultKind}: set and clear these attribute bits (the
 * kernel's set/clear masks), and, when {@code recorder} is not null, call it for the page
 * <em>before</em> the PTE change becomes visible (record first, then make writable).
 *
 * @param set attribute bits to set (S2AP_WRITE, DBM)
 * @param clear attribute bits to clear
 * @param recorder where the page is logged, or null for none
 */
public record FaultResponse(long set, long clear, DirtyPageRecorder recorder) {
  /** Set these bits, record nothing. */
  public static FaultResponse set(long bits) {
    return new FaultResponse(bits, 0, null);
  }

  /** Record the page first, then set these bits. */
  public static FaultResponse recordThenSet(DirtyPageRecorder recorder, long bits) {
    return new FaultResponse(bits, 0, recorder);
  }

  /** Calls the recorder, if any. */
  public void record(int vcpu, long gfn) {
    if (recorder != null) recorder.markDirty(vcpu, gfn);
  }
}
