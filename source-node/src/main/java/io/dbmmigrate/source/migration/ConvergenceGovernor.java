package io.dbmmigrate.source.migration;

import io.dbmmigrate.source.migration.ConvergenceDecision.Action;

/**
 * Decides after each pre-copy round whether to stop, continue, throttle or abort. Pure: its inputs
 * are arguments, so the same rules apply to the live downtime limit and round limit (both changeable
 * while the migration runs).
 *
 * <p>Rules: an estimated downtime at or below the limit stops (after round 0 only once a dirty rate
 * was measured, i.e. from round 1 on). Otherwise, once {@code roundsDone >= maxRounds}: {@code
 * force} stops, {@code abort} gives up, {@code throttle} auto-converges like QEMU — 20 % first, then
 * +10 % per round up to 99 %; a round that still does not converge at 99 % forces the stop.
 */
public final class ConvergenceGovernor {
  public static final int THROTTLE_INITIAL_PERCENT = 20;
  public static final int THROTTLE_INCREMENT_PERCENT = 10;
  public static final int THROTTLE_MAX_PERCENT = 99;

  private final NoConvergenceAction onNoConvergence;

  public ConvergenceGovernor(NoConvergenceAction onNoConvergence) {
    this.onNoConvergence = onNoConvergence;
  }

  /**
   * @param round the round just finished (0 = full copy)
   * @param estimatedDowntimeMillis estimate for stopping now (NaN when unknown)
   * @param downtimeLimitMillis the limit
   * @param maxRounds rounds (round 0 included) before the no-convergence policy applies
   * @param throttlePercent throttle in force during the round just finished
   */
  public ConvergenceDecision decide(
      int round,
      double estimatedDowntimeMillis,
      long downtimeLimitMillis,
      int maxRounds,
      int throttlePercent) {
    return decide(round, estimatedDowntimeMillis, Double.NaN, downtimeLimitMillis, maxRounds, throttlePercent);
  }

  /**
   * As {@link #decide(int, double, long, int, int)}, knowing the estimate's floor: the downtime
   * predicted with nothing left to send (final sync, per-round overhead, commit exchange and their
   * spread). Throttling slows the guest's writes, which only shrinks the part above the floor: when
   * the floor itself is above the limit, raising the throttle cannot converge the migration, so
   * the throttle policy forces the stop at once instead of stepping to 99 % first (issue 12's quick
   * run: a 32 MiB guest writing nothing was throttled round after round against a floor of 450 ms).
   *
   * @param floorMillis the estimate with no pages left (NaN when unknown: no early stop)
   */
  public ConvergenceDecision decide(
      int round,
      double estimatedDowntimeMillis,
      double floorMillis,
      long downtimeLimitMillis,
      int maxRounds,
      int throttlePercent) {
    if (round >= 1 && estimatedDowntimeMillis <= downtimeLimitMillis)
      return new ConvergenceDecision(
          Action.STOP,
          throttlePercent,
          String.format(
              java.util.Locale.ROOT,
              "converged: estimated downtime %.1f ms <= limit %d ms",
              estimatedDowntimeMillis,
              downtimeLimitMillis));
    int roundsDone = round + 1;
    if (roundsDone < maxRounds)
      return new ConvergenceDecision(Action.CONTINUE, throttlePercent, "estimate above limit");
    String notConverged =
        String.format(
            java.util.Locale.ROOT,
            "not converged after %d rounds (estimated downtime %.1f ms > limit %d ms)",
            roundsDone,
            estimatedDowntimeMillis,
            downtimeLimitMillis);
    switch (onNoConvergence) {
      case FORCE:
        return new ConvergenceDecision(Action.FORCE_STOP, throttlePercent, notConverged + "; forcing");
      case ABORT:
        return new ConvergenceDecision(Action.ABORT, throttlePercent, notConverged + "; aborting");
      case THROTTLE:
      default:
        if (floorMillis > downtimeLimitMillis)
          return new ConvergenceDecision(
              Action.FORCE_STOP,
              throttlePercent,
              String.format(
                  java.util.Locale.ROOT,
                  "%s; throttling cannot help: with nothing left to send the estimate is %.1f ms; forcing",
                  notConverged,
                  floorMillis));
        if (throttlePercent >= THROTTLE_MAX_PERCENT)
          return new ConvergenceDecision(
              Action.FORCE_STOP,
              throttlePercent,
              notConverged + " at " + throttlePercent + " % throttle; forcing");
        int next = nextThrottle(throttlePercent);
        return new ConvergenceDecision(
            Action.THROTTLE, next, notConverged + "; throttling vCPUs to " + next + " %");
    }
  }

  /** 0 → 20 → 30 → ... → 90 → 99. */
  static int nextThrottle(int current) {
    if (current < THROTTLE_INITIAL_PERCENT) return THROTTLE_INITIAL_PERCENT;
    return Math.min(THROTTLE_MAX_PERCENT, current + THROTTLE_INCREMENT_PERCENT);
  }
}
