package io.dbmmigrate.source.migration;

/**
 * Switches when software logging has become cheaper than hardware logging, per round: the software
 * cost of a round is one write-permission fault per dirty page, at the measured per-fault cost; the
 * hardware cost is the measured CPU time of one full page-table scan (wall time × scan threads).
 *
 * <p>While the per-fault cost is unknown (no fault measured yet) it never switches; the controller
 * still switches right before the pause, so that the final sync is O(dirty pages).
 */
public record CostSwitchPolicy() implements SwitchPolicy {
  @Override
  public boolean shouldSwitch(SwitchContext ctx) {
    if (!(ctx.perFaultNanos() > 0) || ctx.hwScanNanos() <= 0) return false;
    return ctx.swRoundNanos() < ctx.hwScanCpuNanos();
  }

  @Override
  public String label() {
    return "cost";
  }
}
