package io.dbmmigrate.mmu;

/**
 * What the MMU needs of the machine's tuning: the cost model (charged in guest time, see the
 * machine's tuning for sources) and VTCR_EL2.HA.
 *
 * @param faultCostNanos guest time lost per stage-2 fault
 * @param tlbiCostNanos time charged to the issuer of a TLB invalidation
 * @param kickCostNanos guest time lost per vCPU per kick
 * @param hardwareAccessFlag VTCR_EL2.HA: hardware sets AF; otherwise an access-flag fault does
 */
public record MmuTuning(
    long faultCostNanos, long tlbiCostNanos, long kickCostNanos, boolean hardwareAccessFlag) {
  public MmuTuning {
    if (faultCostNanos < 0 || tlbiCostNanos < 0 || kickCostNanos < 0)
      throw new IllegalArgumentException("costs must be >= 0 ns");
  }

  /** No costs, HA on (unit tests). */
  public static MmuTuning free() {
    return new MmuTuning(0, 0, 0, true);
  }
}
