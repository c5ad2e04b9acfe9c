package io.dbmmigrate.source.migration;

import java.util.Locale;

/** What happens when the round limit is reached and the downtime estimate is still too high. */
public enum NoConvergenceAction {
  /** Stop anyway and report the real downtime. */
  FORCE,
  /** Give up: the VM stays on the source. */
  ABORT,
  /** Auto-converge: throttle the vCPUs (20 %, then +10 % per round, up to 99 %). */
  THROTTLE;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static NoConvergenceAction parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "on-no-convergence must be force, abort or throttle, not '" + s + "'");
    }
  }

  @Override
  public String toString() {
    return label();
  }
}
