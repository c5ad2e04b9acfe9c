package io.dbmmigrate.experiment;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The report JSON the source node writes with {@code --report} (the contract between the source
 * node and the sweep runner). Unknown fields are ignored so that the source can add fields.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
record MigrationReport(
    String migrationId,
    String outcome,
    String error,
    Boolean match,
    Boolean resumed,
    String sourceDigest,
    String destDigest,
    String dirtyLogMode,
    String switchPolicy,
    Integer rounds,
    Integer switchRound,
    Double totalMillis,
    Double setupMillis,
    Double downtimeMillis,
    Double verifyMillis,
    Long bytesSent,
    Long pagesSent,
    Long zeroPages,
    Double guestWritesPerSecBefore,
    Double guestWritesPerSecDuring,
    Double guestWritesPerSecAfter,
    Double maxThrottlePercent,
    Map<String, Object> parameters,
    Map<String, Object> vm,
    List<RoundStat> roundStats,
    List<TimelinePoint> timeline,
    Map<String, Object> postcopy) {

  /** A report without post-copy statistics. */
  MigrationReport(
      String migrationId, String outcome, String error, Boolean match, Boolean resumed, String sourceDigest,
      String destDigest, String dirtyLogMode, String switchPolicy, Integer rounds, Integer switchRound,
      Double totalMillis, Double setupMillis, Double downtimeMillis, Double verifyMillis, Long bytesSent,
      Long pagesSent, Long zeroPages, Double guestWritesPerSecBefore, Double guestWritesPerSecDuring,
      Double guestWritesPerSecAfter, Double maxThrottlePercent, Map<String, Object> parameters,
      Map<String, Object> vm, List<RoundStat> roundStats, List<TimelinePoint> timeline) {
    this(migrationId, outcome, error, match, resumed, sourceDigest, destDigest, dirtyLogMode, switchPolicy, rounds,
        switchRound, totalMillis, setupMillis, downtimeMillis, verifyMillis, bytesSent, pagesSent, zeroPages,
        guestWritesPerSecBefore, guestWritesPerSecDuring, guestWritesPerSecAfter, maxThrottlePercent, parameters,
        vm, roundStats, timeline, null);
  }

  /** One pre-copy round as the source reports it. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record RoundStat(
      Integer round,
      String mode,
      Long dirtyPages,
      Double syncMillis,
      Integer scanThreads,
      Long ptesVisited,
      Long pagesSent,
      Long zeroPages,
      Long bytesSent,
      Double sendMillis,
      Double dirtyRatePagesPerSec,
      Double throughputBytesPerSec,
      Long remainingPages,
      Double estimatedDowntimeMillis,
      Double guestWritesPerSec,
      Double throttlePercent) {}

  /** A sample of guest write throughput. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record TimelinePoint(Double tMillis, Double guestWritesPerSec, String phase) {}

  boolean completed() {
    return "COMPLETED".equals(outcome) && Boolean.TRUE.equals(match);
  }

  List<RoundStat> roundStatsOrEmpty() {
    return roundStats == null ? List.of() : roundStats;
  }

  List<TimelinePoint> timelineOrEmpty() {
    return timeline == null ? List.of() : timeline;
  }
}
