package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLogMode;
import java.util.Locale;

/** How the migration tracks dirty pages: software only, hardware only, or hardware then software. */
public enum DirtyLogStrategy {
  SW("sw", DirtyLogMode.SW),
  HW("hw", DirtyLogMode.HW),
  /** Hardware DBM, switched to software by the switch policy (or at the latest before the pause). */
  HW_SW("hw-sw", DirtyLogMode.HW);

  private final String label;
  private final DirtyLogMode initialMode;

  DirtyLogStrategy(String label, DirtyLogMode initialMode) {
    this.label = label;
    this.initialMode = initialMode;
  }

  /** "sw", "hw" or "hw-sw", as on the command line and in reports. */
  public String label() {
    return label;
  }

  /** The mode the dirty log is enabled in. */
  public DirtyLogMode initialMode() {
    return initialMode;
  }

  public static DirtyLogStrategy parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    for (DirtyLogStrategy d : values()) if (d.label.equals(v)) return d;
    throw new IllegalArgumentException("dirty-log mode must be sw, hw or hw-sw, not '" + s + "'");
  }

  @Override
  public String toString() {
    return label;
  }
}
