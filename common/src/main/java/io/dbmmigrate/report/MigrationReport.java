package io.dbmmigrate.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one migration: what the console summary, {@code --report FILE} (JSON) and {@code
 * --csv DIR} show. Field names are the JSON keys other tools parse; do not rename. Times are
 * milliseconds, rates per second; doubles are always finite.
 *
 * @param outcome "COMPLETED", "FAILED" or "CANCELLED"
 * @param error why it failed or was cancelled (null when completed)
 * @param match the destination's SHA-256 of all guest memory equals the source's
 * @param resumed the VM runs on the destination
 * @param sourceDigest hex SHA-256 at pause on the source ("" when not computed)
 * @param destDigest hex SHA-256 on the destination ("" when not computed)
 * @param dirtyLogMode "sw", "hw" or "hw-sw"
 * @param switchPolicy "never", "threshold:N" or "cost"
 * @param rounds pre-copy rounds including round 0 and the final round
 * @param switchRound round whose sync switched from hardware to software logging (-1: none)
 * @param downtimeMillis pause → destination ready to resume, without verification hashing
 * @param verifyMillis hashing for verification (source + destination), beside the downtime
 * @param guestWritesPerSecBefore guest stores/s during warm-up, before the migration
 * @param guestWritesPerSecDuring guest stores/s while rounds ran
 * @param guestWritesPerSecAfter guest stores/s on the destination after resume (0 if unknown)
 * @param parameters every migration parameter, by its command-line name
 * @param downtimeParts what the downtime consists of (null when the migration did not reach the
 *     commit answer)
 * @param predictedDowntimeMillis the downtime the source predicted when it decided to pause (null
 *     when it never decided)
 * @param lostWorkSeconds guest-seconds of work lost to the migration: the area between the guest's
 *     steady-state write rate and its observed rate over the whole migration, downtime included
 *     (null when no steady state was measured)
 * @param gc collector pauses per node and phase (null when not recorded)
 * @param verifyMode how the run was verified: "strict", "background" or "off (unverified)"
 * @param postcopy post-copy statistics (null when the migration had no post-copy phase)
 */
public record MigrationReport(
    String migrationId,
    String outcome,
    String error,
    boolean match,
    boolean resumed,
    String sourceDigest,
    String destDigest,
    String dirtyLogMode,
    String switchPolicy,
    int rounds,
    int switchRound,
    double totalMillis,
    double setupMillis,
    double downtimeMillis,
    double verifyMillis,
    long bytesSent,
    long pagesSent,
    long zeroPages,
    double guestWritesPerSecBefore,
    double guestWritesPerSecDuring,
    double guestWritesPerSecAfter,
    int maxThrottlePercent,
    Map<String, Object> parameters,
    VmInfo vm,
    List<RoundRecord> roundStats,
    List<TimelineSample> timeline,
    DowntimeParts downtimeParts,
    Double predictedDowntimeMillis,
    Double lostWorkSeconds,
    GcReport gc,
    String verifyMode,
    PostcopyReport postcopy) {
  public static final String COMPLETED = "COMPLETED";
  public static final String FAILED = "FAILED";
  public static final String CANCELLED = "CANCELLED";

  public MigrationReport {
    parameters =
        Collections.unmodifiableMap(parameters == null ? Map.of() : new LinkedHashMap<>(parameters));
    roundStats = roundStats == null ? List.of() : List.copyOf(roundStats);
    timeline = timeline == null ? List.of() : List.copyOf(timeline);
    verifyMode = verifyMode == null ? "strict" : verifyMode;
  }

  /** A strictly verified report without the fidelity fields (downtime parts, prediction, lost work, GC). */
  public MigrationReport(
      String migrationId,
      String outcome,
      String error,
      boolean match,
      boolean resumed,
      String sourceDigest,
      String destDigest,
      String dirtyLogMode,
      String switchPolicy,
      int rounds,
      int switchRound,
      double totalMillis,
      double setupMillis,
      double downtimeMillis,
      double verifyMillis,
      long bytesSent,
      long pagesSent,
      long zeroPages,
      double guestWritesPerSecBefore,
      double guestWritesPerSecDuring,
      double guestWritesPerSecAfter,
      int maxThrottlePercent,
      Map<String, Object> parameters,
      VmInfo vm,
      List<RoundRecord> roundStats,
      List<TimelineSample> timeline) {
    this(migrationId, outcome, error, match, resumed, sourceDigest, destDigest, dirtyLogMode,
        switchPolicy, rounds, switchRound, totalMillis, setupMillis, downtimeMillis, verifyMillis,
        bytesSent, pagesSent, zeroPages, guestWritesPerSecBefore, guestWritesPerSecDuring,
        guestWritesPerSecAfter, maxThrottlePercent, parameters, vm, roundStats, timeline, null, null,
        null, null, "strict", null);
  }

  /** The report without post-copy statistics. */
  public MigrationReport(
      String migrationId, String outcome, String error, boolean match, boolean resumed, String sourceDigest,
      String destDigest, String dirtyLogMode, String switchPolicy, int rounds, int switchRound,
      double totalMillis, double setupMillis, double downtimeMillis, double verifyMillis, long bytesSent,
      long pagesSent, long zeroPages, double guestWritesPerSecBefore, double guestWritesPerSecDuring,
      double guestWritesPerSecAfter, int maxThrottlePercent, Map<String, Object> parameters, VmInfo vm,
      List<RoundRecord> roundStats, List<TimelineSample> timeline, DowntimeParts downtimeParts,
      Double predictedDowntimeMillis, Double lostWorkSeconds, GcReport gc) {
    this(migrationId, outcome, error, match, resumed, sourceDigest, destDigest, dirtyLogMode,
        switchPolicy, rounds, switchRound, totalMillis, setupMillis, downtimeMillis, verifyMillis,
        bytesSent, pagesSent, zeroPages, guestWritesPerSecBefore, guestWritesPerSecDuring,
        guestWritesPerSecAfter, maxThrottlePercent, parameters, vm, roundStats, timeline, downtimeParts,
        predictedDowntimeMillis, lostWorkSeconds, gc, "strict", null);
  }

  /**
   * |predicted − actual| / actual, a fraction (null without a prediction or a measured downtime).
   */
  public Double predictionError() {
    if (predictedDowntimeMillis == null || !(downtimeMillis > 0) || !COMPLETED.equals(outcome)) return null;
    return Math.abs(predictedDowntimeMillis - downtimeMillis) / downtimeMillis;
  }

  /**
   * True for a completed migration whose digests match, or that was completed unverified by
   * choice (verify mode off) (the CLI's exit code 0).
   */
  public boolean verified() {
    return COMPLETED.equals(outcome) && (match || (verifyMode != null && verifyMode.startsWith("off")));
  }
}
