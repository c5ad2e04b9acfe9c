package io.dbmmigrate.vcpu;

import java.util.Locale;

/** The workload kinds a vCPU can run. */
public enum WorkloadKind {
  /** Sweeps RAM page after page, wrapping around (vCPU i starts at i/n of RAM). */
  SEQUENTIAL,
  /** Uniformly random pages over all RAM. */
  RANDOM,
  /** {@code hot} percent of RAM (from its start) takes {@code share} percent of the writes. */
  HOTSET,
  /** Touches every page of its share of RAM once, then idles. */
  ONCE,
  /** No stores. */
  IDLE;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static WorkloadKind parse(String s) {
    for (WorkloadKind k : values()) if (k.id().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
    throw new IllegalArgumentException(
        "unknown workload kind '" + s + "' (expected sequential, random, hotset, once or idle)");
  }
}
