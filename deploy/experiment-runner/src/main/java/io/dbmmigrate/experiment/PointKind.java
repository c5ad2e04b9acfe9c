package io.dbmmigrate.experiment;

import java.util.Locale;

/** What a sweep point runs. */
enum PointKind {
  /** A real two-process migration (source and destination node), optionally inside the netns testbed. */
  MIGRATION,
  /**
   * A dirty-log sync benchmark in a separate JVM (no migration): how long a hardware scan of a
   * guest of a given size takes with N scan threads. Lets a 64 GiB point run without 64 GiB of
   * guest traffic.
   */
  SCAN,
  /**
   * KVM's {@code dirty_log_perf_test} on the simulated machine ({@link PerfProbeMain}) in a separate
   * JVM: populate, enable, and per iteration the guest's dirty-memory, get-log and clear-log times
   * of one dirty-log mode, with a lost-page oracle.
   */
  PERF;

  static PointKind parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kind must be migration, scan or perf, not '" + s + "'");
    }
  }

  String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
