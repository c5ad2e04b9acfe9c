package io.dbmmigrate.source.migration;

/**
 * What to do after a pre-copy round.
 *
 * @param action the verdict
 * @param throttlePercent throttle for the next round (THROTTLE), otherwise unchanged
 * @param reason human-readable why (for logs and the report)
 */
public record ConvergenceDecision(Action action, int throttlePercent, String reason) {
  public enum Action {
    /** Another pre-copy round. */
    CONTINUE,
    /** Converged: the estimated downtime is within the limit; stop and copy the rest. */
    STOP,
    /** Not converged, but the policy says stop anyway (the real downtime is reported). */
    FORCE_STOP,
    /** Not converged and the policy says give up: the VM stays on the source. */
    ABORT,
    /** Not converged: throttle the vCPUs to {@code throttlePercent} and run another round. */
    THROTTLE
  }

  public boolean stops() {
    return action == Action.STOP || action == Action.FORCE_STOP;
  }
}
