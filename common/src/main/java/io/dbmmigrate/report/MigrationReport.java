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
 * @param batchSendLatency per page batch on the source: from the stream's first readiness check
 *     for that batch (the flow-control wait) until gRPC's {@code onNext} returned, i.e. flow-control
 *     wait + rate-limiter wait + serialization into the transport; over every stream and round
 *     (null when not recorded)
 * @param syncTime dirty-log sync time of every round that synced, the final round included (null
 *     when not recorded)
 * @param lostWorkNoiseSeconds the lost-work value a guest running at its baseline's spread would
 *     show: {@code lostWorkSeconds} within ±this is noise (see {@link LostWork#noiseSeconds}); null
 *     when the baseline had fewer than two samples
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
    PostcopyReport postcopy,
    // issue 15 (stats): distributions and the lost-work noise bound
    LatencyPercentiles batchSendLatency,
    LatencyPercentiles syncTime,
    Double lostWorkNoiseSeconds,
    // JIT compilation of the source beside the rounds and the downtime
    JitReport jit) {
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

  /** A builder whose every field has the value a failed run reports when nobody set it. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this report's fields (to derive a changed copy). */
  public Builder toBuilder() {
    return new Builder()
        .migrationId(migrationId).outcome(outcome).error(error).match(match).resumed(resumed)
        .sourceDigest(sourceDigest).destDigest(destDigest).dirtyLogMode(dirtyLogMode).switchPolicy(switchPolicy)
        .rounds(rounds).switchRound(switchRound).totalMillis(totalMillis).setupMillis(setupMillis)
        .downtimeMillis(downtimeMillis).verifyMillis(verifyMillis).bytesSent(bytesSent).pagesSent(pagesSent)
        .zeroPages(zeroPages).guestWritesPerSecBefore(guestWritesPerSecBefore)
        .guestWritesPerSecDuring(guestWritesPerSecDuring).guestWritesPerSecAfter(guestWritesPerSecAfter)
        .maxThrottlePercent(maxThrottlePercent).parameters(parameters).vm(vm).roundStats(roundStats)
        .timeline(timeline).downtimeParts(downtimeParts).predictedDowntimeMillis(predictedDowntimeMillis)
        .lostWorkSeconds(lostWorkSeconds).gc(gc).verifyMode(verifyMode).postcopy(postcopy)
        .batchSendLatency(batchSendLatency).syncTime(syncTime).lostWorkNoiseSeconds(lostWorkNoiseSeconds)
        .jit(jit);
  }

  /**
   * Names every field of a report at its call site (the record's canonical constructor has 35
   * positional parameters). Defaults: outcome FAILED, empty digests, zeros, switch round -1,
   * verify mode "strict", every optional block null.
   */
  public static final class Builder {
    private String migrationId = "";
    private String outcome = FAILED;
    private String error;
    private boolean match;
    private boolean resumed;
    private String sourceDigest = "";
    private String destDigest = "";
    private String dirtyLogMode = "";
    private String switchPolicy = "";
    private int rounds;
    private int switchRound = -1;
    private double totalMillis;
    private double setupMillis;
    private double downtimeMillis;
    private double verifyMillis;
    private long bytesSent;
    private long pagesSent;
    private long zeroPages;
    private double guestWritesPerSecBefore;
    private double guestWritesPerSecDuring;
    private double guestWritesPerSecAfter;
    private int maxThrottlePercent;
    private Map<String, Object> parameters;
    private VmInfo vm;
    private List<RoundRecord> roundStats;
    private List<TimelineSample> timeline;
    private DowntimeParts downtimeParts;
    private Double predictedDowntimeMillis;
    private Double lostWorkSeconds;
    private GcReport gc;
    private JitReport jit;
    private String verifyMode = "strict";
    private PostcopyReport postcopy;
    // issue 15 (stats): distributions and the lost-work noise bound
    private LatencyPercentiles batchSendLatency;
    private LatencyPercentiles syncTime;
    private Double lostWorkNoiseSeconds;

    private Builder() {}

    public Builder migrationId(String v) { migrationId = v; return this; }
    public Builder outcome(String v) { outcome = v; return this; }
    public Builder error(String v) { error = v; return this; }
    public Builder match(boolean v) { match = v; return this; }
    public Builder resumed(boolean v) { resumed = v; return this; }
    public Builder sourceDigest(String v) { sourceDigest = v; return this; }
    public Builder destDigest(String v) { destDigest = v; return this; }
    public Builder dirtyLogMode(String v) { dirtyLogMode = v; return this; }
    public Builder switchPolicy(String v) { switchPolicy = v; return this; }
    public Builder rounds(int v) { rounds = v; return this; }
    public Builder switchRound(int v) { switchRound = v; return this; }
    public Builder totalMillis(double v) { totalMillis = v; return this; }
    public Builder setupMillis(double v) { setupMillis = v; return this; }
    public Builder downtimeMillis(double v) { downtimeMillis = v; return this; }
    public Builder verifyMillis(double v) { verifyMillis = v; return this; }
    public Builder bytesSent(long v) { bytesSent = v; return this; }
    public Builder pagesSent(long v) { pagesSent = v; return this; }
    public Builder zeroPages(long v) { zeroPages = v; return this; }
    public Builder guestWritesPerSecBefore(double v) { guestWritesPerSecBefore = v; return this; }
    public Builder guestWritesPerSecDuring(double v) { guestWritesPerSecDuring = v; return this; }
    public Builder guestWritesPerSecAfter(double v) { guestWritesPerSecAfter = v; return this; }
    public Builder maxThrottlePercent(int v) { maxThrottlePercent = v; return this; }
    public Builder parameters(Map<String, Object> v) { parameters = v; return this; }
    public Builder vm(VmInfo v) { vm = v; return this; }
    public Builder roundStats(List<RoundRecord> v) { roundStats = v; return this; }
    public Builder timeline(List<TimelineSample> v) { timeline = v; return this; }
    public Builder downtimeParts(DowntimeParts v) { downtimeParts = v; return this; }
    public Builder predictedDowntimeMillis(Double v) { predictedDowntimeMillis = v; return this; }
    public Builder lostWorkSeconds(Double v) { lostWorkSeconds = v; return this; }
    public Builder gc(GcReport v) { gc = v; return this; }
    public Builder verifyMode(String v) { verifyMode = v; return this; }
    public Builder postcopy(PostcopyReport v) { postcopy = v; return this; }
    public Builder batchSendLatency(LatencyPercentiles v) { batchSendLatency = v; return this; }
    public Builder syncTime(LatencyPercentiles v) { syncTime = v; return this; }
    public Builder lostWorkNoiseSeconds(Double v) { lostWorkNoiseSeconds = v; return this; }
    public Builder jit(JitReport v) { jit = v; return this; }

    public MigrationReport build() {
      return new MigrationReport(
          migrationId, outcome, error, match, resumed, sourceDigest, destDigest, dirtyLogMode, switchPolicy,
          rounds, switchRound, totalMillis, setupMillis, downtimeMillis, verifyMillis, bytesSent, pagesSent,
          zeroPages, guestWritesPerSecBefore, guestWritesPerSecDuring, guestWritesPerSecAfter,
          maxThrottlePercent, parameters, vm, roundStats, timeline, downtimeParts, predictedDowntimeMillis,
          lostWorkSeconds, gc, verifyMode, postcopy, batchSendLatency, syncTime, lostWorkNoiseSeconds, jit);
    }
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
