package io.dbmmigrate.machine;

import io.dbmmigrate.dirty.SplitPolicy;
import io.dbmmigrate.mmu.MmuTuning;

/**
 * Tuning of the simulated hardware and host: the cost model, host memory-management event rates,
 * the block split policy and the hardware access flag.
 *
 * <h2>Cost model</h2>
 *
 * Costs are charged in guest time: a vCPU that takes a fault or is kicked does no stores for that
 * long (it accumulates the debt and sleeps it off outside any store window), so software dirty
 * logging shows up as lost guest throughput, as it does on real hardware. A TLB invalidation is
 * charged to the thread that issues it (the sync, the host-MM event), as a broadcast TLBI + DSB is.
 *
 * <table>
 * <caption>defaults and where they come from</caption>
 * <tr><th>cost</th><th>default</th><th>source</th></tr>
 * <tr><td>{@code faultCostNanos}: stage-2 fault (permission, translation, access flag)</td>
 *     <td>3000 ns</td>
 *     <td>a VM exit round trip: about 6,500 cycles for a KVM/ARM hypercall on ARMv8 server hardware
 *     (≈2.7 µs at 2.4 GHz) and 1,300 cycles on x86 (Dall et al., "ARM Virtualization: Performance
 *     and Architectural Implications", ISCA 2016); the direct exit cost alone is about 2,000
 *     cycles on a Xeon X5570 with indirect costs up to an order of magnitude higher (Landau et al.,
 *     "SplitX", USENIX WIOV 2011); plus the fault handler (mark_page_dirty, PTE update)</td></tr>
 * <tr><td>{@code tlbiCostNanos}: broadcast stage-2 TLB invalidation</td><td>2000 ns</td>
 *     <td>kvm_flush_remote_tlbs on arm64: TLBI VMALLS12E1IS + DSB ISH, on non-VHE hosts through a
 *     hypercall; on the order of a microsecond or two</td></tr>
 * <tr><td>{@code kickCostNanos}: kick of one vCPU (IPI, exit, VTCR reload, re-entry)</td>
 *     <td>5000 ns</td>
 *     <td>the virtual IPI round trip on KVM/ARM, about 14,000 cycles (Dall et al., ISCA 2016)</td></tr>
 * </table>
 *
 * @param faultCostNanos guest time lost per stage-2 fault
 * @param tlbiCostNanos time charged to the issuer of a TLB invalidation
 * @param kickCostNanos guest time lost per vCPU per kick
 * @param agingEventsPerSec host page-aging events (clear AF on 2 MiB of PTEs) per second, 0 = off
 * @param remapEventsPerSec host unmap-then-remap of one page (migration, reclaim) per second, 0 = off
 * @param splitEventsPerSec host split of one 2 MiB block mapping per second, 0 = off
 * @param splitPolicy when blocks are split once dirty logging starts
 * @param hardwareAccessFlag VTCR_EL2.HA: hardware sets AF; otherwise an access-flag fault does
 */
public record MachineTuning(
    long faultCostNanos,
    long tlbiCostNanos,
    long kickCostNanos,
    double agingEventsPerSec,
    double remapEventsPerSec,
    double splitEventsPerSec,
    SplitPolicy splitPolicy,
    boolean hardwareAccessFlag) {
  public static final long DEFAULT_FAULT_COST_NANOS = 3_000;
  public static final long DEFAULT_TLBI_COST_NANOS = 2_000;
  public static final long DEFAULT_KICK_COST_NANOS = 5_000;

  public MachineTuning {
    if (faultCostNanos < 0 || tlbiCostNanos < 0 || kickCostNanos < 0)
      throw new IllegalArgumentException("costs must be >= 0 ns");
    if (!(agingEventsPerSec >= 0) || !(remapEventsPerSec >= 0) || !(splitEventsPerSec >= 0))
      throw new IllegalArgumentException("host-MM event rates must be >= 0 per second");
    if (splitPolicy == null) throw new IllegalArgumentException("split policy missing");
  }

  public static MachineTuning defaults() {
    return new MachineTuning(
        DEFAULT_FAULT_COST_NANOS,
        DEFAULT_TLBI_COST_NANOS,
        DEFAULT_KICK_COST_NANOS,
        0,
        0,
        0,
        SplitPolicy.EAGER,
        true);
  }

  /** All costs zero (unit tests, benchmarks of the pure mechanism). */
  public MachineTuning withoutCosts() {
    return new MachineTuning(
        0, 0, 0, agingEventsPerSec, remapEventsPerSec, splitEventsPerSec, splitPolicy,
        hardwareAccessFlag);
  }

  public MachineTuning withCosts(long faultNanos, long tlbiNanos, long kickNanos) {
    return new MachineTuning(
        faultNanos, tlbiNanos, kickNanos, agingEventsPerSec, remapEventsPerSec, splitEventsPerSec,
        splitPolicy, hardwareAccessFlag);
  }

  public MachineTuning withHostEvents(double agingPerSec, double remapPerSec, double splitPerSec) {
    return new MachineTuning(
        faultCostNanos, tlbiCostNanos, kickCostNanos, agingPerSec, remapPerSec, splitPerSec,
        splitPolicy, hardwareAccessFlag);
  }

  public MachineTuning withSplitPolicy(SplitPolicy policy) {
    return new MachineTuning(
        faultCostNanos, tlbiCostNanos, kickCostNanos, agingEventsPerSec, remapEventsPerSec,
        splitEventsPerSec, policy, hardwareAccessFlag);
  }

  public MachineTuning withHardwareAccessFlag(boolean ha) {
    return new MachineTuning(
        faultCostNanos, tlbiCostNanos, kickCostNanos, agingEventsPerSec, remapEventsPerSec,
        splitEventsPerSec, splitPolicy, ha);
  }

  /** The part the MMU needs: the costs and HA. */
  public MmuTuning mmuTuning() {
    return new MmuTuning(faultCostNanos, tlbiCostNanos, kickCostNanos, hardwareAccessFlag);
  }

  public boolean hostEventsEnabled() {
    return agingEventsPerSec > 0 || remapEventsPerSec > 0 || splitEventsPerSec > 0;
  }
}
