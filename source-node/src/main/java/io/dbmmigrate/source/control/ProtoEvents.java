package io.dbmmigrate.source.control;

import com.google.protobuf.ByteString;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.proto.v1.RoundStats;
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
          .setPostcopyReceiptMatch(r.postcopy().receiptMatch());
    return b.build();
  }

  /**
   * A report rebuilt from a summary (for {@code ctl start --report}): the summary carries no
   * parameters, VM shape or timeline; those come from the caller.
   */
  public static MigrationReport fromProto(
      MigrationSummary s, String switchPolicy, Map<String, Object> parameters, VmInfo vm, List<TimelineSample> timeline) {
    List<RoundRecord> rounds = new ArrayList<>();
    for (RoundStats r : s.getRoundStatsList()) rounds.add(fromProto(r));
    return MigrationReport.builder()
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
        .build();
  }

  private static ByteString hex(String h) {
    if (h == null || h.isEmpty()) return ByteString.EMPTY;
    return ByteString.copyFrom(HexFormat.of().parseHex(h));
  }
}
