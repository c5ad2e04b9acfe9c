package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.VerifyMode;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.GcReport;
import io.dbmmigrate.report.LatencyPercentiles;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;
import io.dbmmigrate.report.VmInfo;
import java.util.List;
import java.util.Map;

/**
 * Collects what a migration learned, whatever way it ended, and builds its {@link
 * MigrationReport}. Every field has the value a failed run reports when nobody set it (no digests,
 * zero times), so each ending sets only what it knows. Controller thread only.
 */
public final class MigrationReportBuilder {
  private final String migrationId;
  private final MigrationSettings settings;
  private final VmShape shape;
  private String workload;
  private String outcome = MigrationReport.FAILED;
  private String error;
  private boolean match;
  private boolean resumed;
  private String sourceDigest = "";
  private String destDigest = "";
  private double totalMillis;
  private double setupMillis;
  private double downtimeMillis;
  private double verifyMillis;
  private double before;
  private double during;
  private double after;
  private int switchRound = -1;
  private int maxThrottlePercent;
  private Map<String, Object> parameters = Map.of();
  private List<RoundRecord> rounds = List.of();
  private List<TimelineSample> timeline = List.of();
  private DowntimeParts downtimeParts;
  private Double predictedDowntimeMillis;
  private Double lostWorkSeconds;
  private GcReport gc;
  private io.dbmmigrate.report.JitReport jit;
  private io.dbmmigrate.report.PostcopyReport postcopy;
  private long postcopyPages;
  private long postcopyBytes;

  private VerifyMode verifyMode; // null: the settings' mode
  // issue 15 (stats): distributions and the lost-work noise bound
  private LatencyPercentiles batchSendLatency;
  private LatencyPercentiles syncTime;
  private Double lostWorkNoiseSeconds;

  public MigrationReportBuilder(String migrationId, MigrationSettings settings, VmShape shape, String workload) {
    this.migrationId = migrationId;
    this.settings = settings;
    this.shape = shape;
    this.workload = workload;
  }

  /** The workload the vCPUs really ran, once captured (replaces the configured label). */
  public MigrationReportBuilder workload(String w) {
    if (w != null) workload = w;
    return this;
  }

  public MigrationReportBuilder outcome(String outcome, String error) {
    this.outcome = outcome;
    this.error = error;
    return this;
  }

  public MigrationReportBuilder verification(boolean match, boolean resumed, String sourceHex, String destHex) {
    this.match = match;
    this.resumed = resumed;
    this.sourceDigest = sourceHex == null ? "" : sourceHex;
    this.destDigest = destHex == null ? "" : destHex;
    return this;
  }

  /** Start → dirty logging enabled (session open included). */
  public MigrationReportBuilder setupMillis(double setupMillis) {
    this.setupMillis = setupMillis;
    return this;
  }

  public MigrationReportBuilder totalMillis(double totalMillis) {
    this.totalMillis = totalMillis;
    return this;
  }

  public MigrationReportBuilder downtime(double downtimeMillis, double verifyMillis) {
    this.downtimeMillis = downtimeMillis;
    this.verifyMillis = verifyMillis;
    return this;
  }

  public MigrationReportBuilder guestRates(double before, double during, double after) {
    this.before = before;
    this.during = during;
    this.after = after;
    return this;
  }

  public MigrationReportBuilder rounds(List<RoundRecord> rounds, int switchRound, int maxThrottlePercent) {
    this.rounds = List.copyOf(rounds);
    this.switchRound = switchRound;
    this.maxThrottlePercent = maxThrottlePercent;
    return this;
  }

  public MigrationReportBuilder parameters(Map<String, Object> parameters) {
    this.parameters = parameters;
    return this;
  }

  public MigrationReportBuilder timeline(List<TimelineSample> timeline) {
    this.timeline = timeline;
    return this;
  }

  public MigrationReportBuilder downtimeParts(DowntimeParts parts) {
    this.downtimeParts = parts;
    return this;
  }

  public DowntimeParts downtimeParts() {
    return downtimeParts;
  }

  public MigrationReportBuilder predictedDowntimeMillis(Double millis) {
    this.predictedDowntimeMillis = millis == null || !Double.isFinite(millis) ? null : millis;
    return this;
  }

  public MigrationReportBuilder lostWorkSeconds(Double seconds) {
    this.lostWorkSeconds = seconds == null || !Double.isFinite(seconds) ? null : seconds;
    return this;
  }

  /** Per-batch send latency and per-round sync time (issue 15 item 3). */
  public MigrationReportBuilder distributions(LatencyPercentiles batchSend, LatencyPercentiles sync) {
    this.batchSendLatency = batchSend;
    this.syncTime = sync;
    return this;
  }

  /** The bound the baseline's spread puts on the lost work (null or NaN: unknown). */
  public MigrationReportBuilder lostWorkNoiseSeconds(Double seconds) {
    this.lostWorkNoiseSeconds = seconds == null || !Double.isFinite(seconds) ? null : seconds;
    return this;
  }

  /** The verification mode the run applied (default: the settings' mode; verify-only is strict). */
  public MigrationReportBuilder verifyMode(VerifyMode mode) {
    this.verifyMode = mode;
    return this;
  }

  public MigrationReportBuilder gc(GcReport gc) {
    this.gc = gc;
    return this;
  }

  /** The source's JIT compile time per phase (null: not reported by this JVM). */
  public MigrationReportBuilder jit(io.dbmmigrate.report.JitReport jit) {
    this.jit = jit;
    return this;
  }

  /** Post-copy statistics; its pages and bytes count into the totals. */
  public MigrationReportBuilder postcopy(io.dbmmigrate.report.PostcopyReport p, long pages, long bytes) {
    this.postcopy = p;
    this.postcopyPages = pages;
    this.postcopyBytes = bytes;
    return this;
  }

  public MigrationReport build() {
    long bytes = 0;
    long pages = 0;
    long zero = 0;
    for (RoundRecord r : rounds) {
      bytes += r.bytesSent();
      pages += r.pagesSent();
      zero += r.zeroPages();
    }
    bytes += postcopyBytes;
    pages += postcopyPages;
    return MigrationReport.builder()
        .migrationId(migrationId)
        .outcome(outcome)
        .error(error)
        .match(match)
        .resumed(resumed)
        .sourceDigest(sourceDigest)
        .destDigest(destDigest)
        .dirtyLogMode(settings.dirtyLog().label())
        .switchPolicy(settings.switchPolicy().label())
        .rounds(rounds.size())
        .switchRound(switchRound)
        .totalMillis(finite(totalMillis))
        .setupMillis(finite(setupMillis))
        .downtimeMillis(finite(downtimeMillis))
        .verifyMillis(finite(verifyMillis))
        .bytesSent(bytes)
        .pagesSent(pages)
        .zeroPages(zero)
        .guestWritesPerSecBefore(finite(before))
        .guestWritesPerSecDuring(finite(during))
        .guestWritesPerSecAfter(finite(after))
        .maxThrottlePercent(maxThrottlePercent)
        .parameters(parameters)
        .vm(
            new VmInfo(
                shape.ramBytes(),
                shape.romBytes(),
                shape.vcpus(),
                shape.backing() == BackingPageSize.SIZE_2M ? "2m" : "4k",
                workload))
        .roundStats(rounds)
        .timeline(timeline)
        .downtimeParts(downtimeParts)
        .predictedDowntimeMillis(predictedDowntimeMillis)
        .lostWorkSeconds(lostWorkSeconds)
        .gc(gc)
        .jit(jit)
        .verifyMode(
            (verifyMode != null ? verifyMode : settings.verifyOnly() ? VerifyMode.STRICT : settings.verify())
                .reportLabel())
        .postcopy(postcopy)
        .batchSendLatency(batchSendLatency)
        .syncTime(syncTime)
        .lostWorkNoiseSeconds(lostWorkNoiseSeconds)
        .build();
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }
}
