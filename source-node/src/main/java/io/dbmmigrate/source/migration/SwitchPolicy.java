package io.dbmmigrate.source.migration;

import java.util.Locale;

/**
 * Decides when a {@code hw-sw} migration leaves hardware dirty logging. Asked after every
 * hardware-mode round; once it says yes, the next sync is {@code DirtyLog.switchToSoftware}.
 * Implementations are pure functions of the context (no state), so they are unit-testable.
 */
public interface SwitchPolicy {
  boolean shouldSwitch(SwitchContext ctx);

  /** "never", "threshold:N" or "cost", as on the command line. */
  String label();

  /** True for {@code never}: then hw-sw behaves like hw (no switch, not even before the pause). */
  default boolean neverSwitches() {
    return false;
  }

  /**
   * Parses "never", "threshold:&lt;pages&gt;" (switch once at most that many pages are expected
   * dirty per round) or "cost".
   */
  static SwitchPolicy parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (v.equals("never")) return new NeverSwitchPolicy();
    if (v.equals("cost")) return new CostSwitchPolicy();
    if (v.startsWith("threshold:")) {
      String n = v.substring("threshold:".length());
      long pages;
      try {
        pages = Long.parseLong(n);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("threshold must be a page count: 'threshold:" + n + "'");
      }
      if (pages < 0) throw new IllegalArgumentException("threshold must be >= 0 pages, not " + pages);
      return new ThresholdSwitchPolicy(pages);
    }
    throw new IllegalArgumentException(
        "switch policy must be never, threshold:<pages> or cost, not '" + s + "'");
  }
}
