package io.dbmmigrate.source.migration;

import java.util.List;

/**
 * The destination's own account of its commit handling (optional CommitResponse fields, see
 * target.proto): durations in milliseconds, and its collector pauses of the session positioned
 * relative to the moment it received the commit.
 *
 * @param reported false for a destination that does not fill the fields (then every duration is 0)
 * @param gcReported whether {@code gcPauses} is meaningful (an empty list then means none)
 * @param jitRoundsMillis the destination JVM's JIT compile time from its first applied batch to
 *     commit receipt; null when not reported
 * @param jitCommitMillis the same from commit receipt to its answer; null when not reported
 */
public record DestCommitTimings(
    boolean reported,
    double completenessMillis,
    double restoreMillis,
    double verifyMillis,
    double resumeMillis,
    double lastBatchToCommitMillis,
    boolean gcReported,
    List<GcPauseOffset> gcPauses,
    Double jitRoundsMillis,
    Double jitCommitMillis) {
  public static final DestCommitTimings UNKNOWN = new DestCommitTimings(false, 0, 0, 0, 0, 0, false, List.of());

  /** Without the destination's JIT times. */
  public DestCommitTimings(
      boolean reported, double completenessMillis, double restoreMillis, double verifyMillis, double resumeMillis,
      double lastBatchToCommitMillis, boolean gcReported, List<GcPauseOffset> gcPauses) {
    this(reported, completenessMillis, restoreMillis, verifyMillis, resumeMillis, lastBatchToCommitMillis,
        gcReported, gcPauses, null, null);
  }

  public DestCommitTimings {
    gcPauses = List.copyOf(gcPauses);
  }

  /** Destination time spent inside the commit call: every part including the hashing. */
  public double handlingMillis() {
    return completenessMillis + restoreMillis + verifyMillis + resumeMillis;
  }

  /** One destination pause: start relative to commit receipt (negative: before), duration. */
  public record GcPauseOffset(long startOffsetNanos, long durationNanos) {}
}
