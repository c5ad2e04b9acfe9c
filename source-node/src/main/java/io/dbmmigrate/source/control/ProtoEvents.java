package io.dbmmigrate.source.control;

import com.google.protobuf.ByteString;
import io.dbmmigrate.proto.v1.DowntimeBreakdown;
import io.dbmmigrate.proto.v1.GcPauseAccounting;
import io.dbmmigrate.proto.v1.GcPhasePauses;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Percentiles;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.proto.v1.RoundStats;
import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.GcPhaseStats;
import io.dbmmigrate.report.GcReport;
import io.dbmmigrate.report.LatencyPercentiles;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;
import io.dbmmigrate.report.VmInfo;
import io.dbmmigrate.source.migration.MigrationPhase;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts the controller's events and report to and from the control API's messages. */
public final class ProtoEvents {
  private ProtoEvents() {}

  public static Phase toProto(MigrationPhase p) {
    return switch (p) {
      case SETUP -> Phase.PHASE_SETUP;
      case ROUNDS -> Phase.PHASE_ROUNDS;
      case PAUSED -> Phase.PHASE_PAUSED;
      case COMMITTING -> Phase.PHASE_COMMITTING;
      case COMPLETED -> Phase.PHASE_COMPLETED;
      case FAILED -> Phase.PHASE_FAILED;
      case CANCELLED -> Phase.PHASE_CANCELLED;
    };
  }

  public static RoundStats toProto(RoundRecord r) {
    return RoundStats.newBuilder()
        .setRound(r.round())
        .setMode(r.mode())
        .setDirtyPages(r.dirtyPages())
        .setSyncMillis(r.syncMillis())
        .setScanThreads(r.scanThreads())
        .setPtesVisited(r.ptesVisited())
        .setPagesSent(r.pagesSent())
        .setZeroPages(r.zeroPages())
        .setBytesSent(r.bytesSent())
        .setSendMillis(r.sendMillis())
        .setDirtyRatePagesPerSec(r.dirtyRatePagesPerSec())
        .setThroughputBytesPerSec(r.throughputBytesPerSec())
        .setRemainingPages(Math.max(0, r.remainingPages()))
        .setEstimatedDowntimeMillis(r.estimatedDowntimeMillis())
        .setGuestWritesPerSec(r.guestWritesPerSec())
        .setThrottlePercent(r.throttlePercent())
        .build();
  }

  public static RoundRecord fromProto(RoundStats r) {
    return new RoundRecord(
        r.getRound(),
        r.getMode(),
        r.getDirtyPages(),
        r.getSyncMillis(),
        r.getScanThreads(),
        r.getPtesVisited(),
        r.getPagesSent(),
        r.getZeroPages(),
        r.getBytesSent(),
        r.getSendMillis(),
        r.getDirtyRatePagesPerSec(),
        r.getThroughputBytesPerSec(),
        r.getRemainingPages(),
        r.getEstimatedDowntimeMillis(),
        r.getGuestWritesPerSec(),
        r.getThrottlePercent());
  }

  public static MigrationSummary toProto(MigrationReport r) {
    MigrationSummary.Builder b =
        MigrationSummary.newBuilder()
            .setMigrationId(r.migrationId())
            .setOutcome(
                switch (r.outcome()) {
                  case MigrationReport.COMPLETED -> Phase.PHASE_COMPLETED;
                  case MigrationReport.CANCELLED -> Phase.PHASE_CANCELLED;
                  default -> Phase.PHASE_FAILED;
                })
            .setError(r.error() == null ? "" : r.error())
            .setMatch(r.match())
            .setSourceDigest(hex(r.sourceDigest()))
            .setDestDigest(hex(r.destDigest()))
            .setRounds(r.rounds())
            .setSwitchRound(r.switchRound())
            .setDirtyLogMode(r.dirtyLogMode())
            .setTotalMillis(r.totalMillis())
            .setSetupMillis(r.setupMillis())
            .setDowntimeMillis(r.downtimeMillis())
            .setVerifyMillis(r.verifyMillis())
            .setBytesSent(r.bytesSent())
            .setPagesSent(r.pagesSent())
            .setZeroPages(r.zeroPages())
            .setGuestWritesPerSecBefore(r.guestWritesPerSecBefore())
            .setGuestWritesPerSecDuring(r.guestWritesPerSecDuring())
            .setGuestWritesPerSecAfter(r.guestWritesPerSecAfter())
            .setMaxThrottlePercent(r.maxThrottlePercent())
            .setResumed(r.resumed())
            .setVerifyMode(r.verifyMode());
    for (RoundRecord x : r.roundStats()) b.addRoundStats(toProto(x));
    if (r.postcopy() != null)
      b.setPostcopyMode(r.postcopy().mode())
          .setPostcopyMissingPages(r.postcopy().missingAtSwitchover())
          .setPostcopyPagesRequested(r.postcopy().pagesRequested())
          .setPostcopyRecoveries(r.postcopy().recoveries())
          .setPostcopyReceiptMatch(r.postcopy().receiptMatch())
          .setPostcopy(ProtoPostcopy.toProto(r.postcopy()));
    addFidelity(b, r);
    return b.build();
  }

  // --- issue 15 (stats): the fidelity block of MigrationSummary (fields 50-59) ---

  private static void addFidelity(MigrationSummary.Builder b, MigrationReport r) {
    if (r.downtimeParts() != null) b.setDowntimeParts(toProto(r.downtimeParts()));
    if (r.predictedDowntimeMillis() != null) b.setPredictedDowntimeMillis(r.predictedDowntimeMillis());
    if (r.lostWorkSeconds() != null) b.setLostWorkSeconds(r.lostWorkSeconds());
    if (r.lostWorkNoiseSeconds() != null) b.setLostWorkNoiseSeconds(r.lostWorkNoiseSeconds());
    if (r.batchSendLatency() != null) b.setBatchSendLatency(toProto(r.batchSendLatency()));
    if (r.syncTime() != null) b.setSyncTime(toProto(r.syncTime()));
    if (r.gc() != null) b.setGc(toProto(r.gc()));
  }

  private static MigrationReport.Builder withFidelity(MigrationReport.Builder b, MigrationSummary s) {
    return b.downtimeParts(s.hasDowntimeParts() ? fromProto(s.getDowntimeParts()) : null)
        .predictedDowntimeMillis(s.hasPredictedDowntimeMillis() ? s.getPredictedDowntimeMillis() : null)
        .lostWorkSeconds(s.hasLostWorkSeconds() ? s.getLostWorkSeconds() : null)
        .lostWorkNoiseSeconds(s.hasLostWorkNoiseSeconds() ? s.getLostWorkNoiseSeconds() : null)
        .batchSendLatency(s.hasBatchSendLatency() ? fromProto(s.getBatchSendLatency()) : null)
        .syncTime(s.hasSyncTime() ? fromProto(s.getSyncTime()) : null)
        .gc(s.hasGc() ? fromProto(s.getGc()) : null);
  }

  public static DowntimeBreakdown toProto(DowntimeParts p) {
    return DowntimeBreakdown.newBuilder()
        .setPauseMillis(p.pauseMillis())
        .setFinalSyncMillis(p.finalSyncMillis())
        .setFinalSyncPtes(p.finalSyncPtes())
        .setFinalSendMillis(p.finalSendMillis())
        .setFinalSendPages(p.finalSendPages())
        .setFinalSendBytes(p.finalSendBytes())
        .setVcpuCaptureMillis(p.vcpuCaptureMillis())
        .setCommitExchangeMillis(p.commitExchangeMillis())
        .setDestCompletenessMillis(p.destCompletenessMillis())
        .setDestRestoreMillis(p.destRestoreMillis())
        .setDestResumeMillis(p.destResumeMillis())
        .setUnaccountedMillis(p.unaccountedMillis())
        .setDestLastBatchToCommitMillis(p.destLastBatchToCommitMillis())
        .setSourceGcMillis(p.sourceGcMillis())
        .setSourceGcCount(p.sourceGcCount())
        .setDestGcMillis(p.destGcMillis())
        .setDestGcCount(p.destGcCount())
        .build();
  }

  public static DowntimeParts fromProto(DowntimeBreakdown p) {
    return new DowntimeParts(
        p.getPauseMillis(),
        p.getFinalSyncMillis(),
        p.getFinalSyncPtes(),
        p.getFinalSendMillis(),
        p.getFinalSendPages(),
        p.getFinalSendBytes(),
        p.getVcpuCaptureMillis(),
        p.getCommitExchangeMillis(),
        p.getDestCompletenessMillis(),
        p.getDestRestoreMillis(),
        p.getDestResumeMillis(),
        p.getUnaccountedMillis(),
        p.getDestLastBatchToCommitMillis(),
        p.getSourceGcMillis(),
        p.getSourceGcCount(),
        p.getDestGcMillis(),
        p.getDestGcCount());
  }

  public static Percentiles toProto(LatencyPercentiles p) {
    return Percentiles.newBuilder()
        .setCount(p.count())
        .setP50Millis(p.p50Millis())
        .setP99Millis(p.p99Millis())
        .setMaxMillis(p.maxMillis())
        .build();
  }

  public static LatencyPercentiles fromProto(Percentiles p) {
    return new LatencyPercentiles(p.getCount(), p.getP50Millis(), p.getP99Millis(), p.getMaxMillis());
  }

  public static GcPhasePauses toProto(GcPhaseStats g) {
    return GcPhasePauses.newBuilder()
        .setNode(g.node())
        .setPhase(g.phase())
        .setPauses(g.count())
        .setPauseMillis(g.pauseMillis())
        .build();
  }

  public static GcPauseAccounting toProto(GcReport g) {
    GcPauseAccounting.Builder b =
        GcPauseAccounting.newBuilder()
            .setSourceShare(g.sourceShare())
            .setDestShare(g.destShare())
            .setDestReported(g.destReported());
    for (GcPhaseStats p : g.phases()) b.addPhases(toProto(p));
    return b.build();
  }

  public static GcReport fromProto(GcPauseAccounting g) {
    List<GcPhaseStats> phases = new ArrayList<>();
    for (GcPhasePauses p : g.getPhasesList())
      phases.add(new GcPhaseStats(p.getNode(), p.getPhase(), (int) p.getPauses(), p.getPauseMillis()));
    return new GcReport(phases, g.getSourceShare(), g.getDestShare(), g.getDestReported());
  }

  /**
   * A report rebuilt from a summary (for {@code ctl start --report}): the summary carries no
   * parameters, VM shape or timeline; those come from the caller.
   */
  public static MigrationReport fromProto(
      MigrationSummary s, String switchPolicy, Map<String, Object> parameters, VmInfo vm, List<TimelineSample> timeline) {
    List<RoundRecord> rounds = new ArrayList<>();
    for (RoundStats r : s.getRoundStatsList()) rounds.add(fromProto(r));
    return withFidelity(MigrationReport.builder(), s)
        .migrationId(s.getMigrationId())
        .outcome(
            switch (s.getOutcome()) {
              case PHASE_COMPLETED -> MigrationReport.COMPLETED;
              case PHASE_CANCELLED -> MigrationReport.CANCELLED;
              default -> MigrationReport.FAILED;
            })
        .error(s.getError().isEmpty() ? null : s.getError())
        .match(s.getMatch())
        .resumed(s.getResumed())
        .sourceDigest(HexFormat.of().formatHex(s.getSourceDigest().toByteArray()))
        .destDigest(HexFormat.of().formatHex(s.getDestDigest().toByteArray()))
        .dirtyLogMode(s.getDirtyLogMode())
        .switchPolicy(switchPolicy)
        .rounds(s.getRounds())
        .switchRound(s.getSwitchRound())
        .totalMillis(s.getTotalMillis())
        .setupMillis(s.getSetupMillis())
        .downtimeMillis(s.getDowntimeMillis())
        .verifyMillis(s.getVerifyMillis())
        .bytesSent(s.getBytesSent())
        .pagesSent(s.getPagesSent())
        .zeroPages(s.getZeroPages())
        .guestWritesPerSecBefore(s.getGuestWritesPerSecBefore())
        .guestWritesPerSecDuring(s.getGuestWritesPerSecDuring())
        .guestWritesPerSecAfter(s.getGuestWritesPerSecAfter())
        .maxThrottlePercent(s.getMaxThrottlePercent())
        .parameters(parameters == null ? new LinkedHashMap<>() : parameters)
        .vm(vm)
        .roundStats(rounds)
        .timeline(timeline)
        .verifyMode(s.getVerifyMode().isEmpty() ? "strict" : s.getVerifyMode())
        .postcopy(ProtoPostcopy.fromProto(s))
        .build();
  }

  private static ByteString hex(String h) {
    if (h == null || h.isEmpty()) return ByteString.EMPTY;
    return ByteString.copyFrom(HexFormat.of().parseHex(h));
  }
}
