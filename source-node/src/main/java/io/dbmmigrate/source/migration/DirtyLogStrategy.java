package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLogMode;
import java.util.Locale;

/**
 * How the migration tracks dirty pages: one mode throughout, or a hardware mode switched to
 * software by the switch policy (at the latest before the pause). Every hardware mode has its
 * {@code -sw} form, as {@code hw-sw}: {@code hdbss-sw}, {@code combined-sw}.
 */
public enum DirtyLogStrategy {
  SW("sw", DirtyLogMode.SW, false),
  HW("hw", DirtyLogMode.HW, false),
  /** Hardware DBM, switched to software by the switch policy (or at the latest before the pause). */
  HW_SW("hw-sw", DirtyLogMode.HW, true),
  /** KVM dirty ring (write-protect faults fill per-vCPU rings). */
  RING("ring", DirtyLogMode.RING, false),
  /** Armv9.5 FEAT_HDBSS (the hardware fills per-vCPU buffers, no fault). */
  HDBSS("hdbss", DirtyLogMode.HDBSS, false),
  HDBSS_SW("hdbss-sw", DirtyLogMode.HDBSS, true),
  /** SW/HW combined (a fault arms DBM on its 64-page neighbourhood; syncs scan those). */
  COMBINED("combined", DirtyLogMode.COMBINED, false),
  COMBINED_SW("combined-sw", DirtyLogMode.COMBINED, true);

  private final String label;
  private final DirtyLogMode initialMode;
  private final boolean switchesToSw;

  DirtyLogStrategy(String label, DirtyLogMode initialMode, boolean switchesToSw) {
    this.label = label;
    this.initialMode = initialMode;
    this.switchesToSw = switchesToSw;
  }

  /** "sw", "hw", "hw-sw", "ring", ..., as on the command line and in reports. */
  public String label() {
    return label;
  }

  /** The mode the dirty log is enabled in. */
  public DirtyLogMode initialMode() {
    return initialMode;
  }

  /** True for the {@code -sw} forms: the switch policy may leave the hardware mode. */
  public boolean switchesToSw() {
    return switchesToSw;
  }

  /** The labels, for messages and help. */
  public static String labels() {
    StringBuilder b = new StringBuilder();
    for (DirtyLogStrategy d : values()) b.append(b.length() == 0 ? "" : "|").append(d.label);
    return b.toString();
  }

  public static DirtyLogStrategy parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    for (DirtyLogStrategy d : values()) if (d.label.equals(v)) return d;
    throw new IllegalArgumentException("dirty-log mode must be one of " + labels() + ", not '" + s + "'");
  }

  @Override
  public String toString() {
    return label;
  }
}
