package io.dbmmigrate.experiment;

import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.LatencyPercentiles;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Turns a migration report into a result row's flat outputs. */
final class RowBuilder {
  private RowBuilder() {}

  /** How the testbed applied the link parameters. */
  record LinkVia(String rate, String latency, String loss) {
    static final LinkVia NONE = new LinkVia("none", "none", "none");
  }

  static Map<String, Object> migrationOutputs(RunPoint p, MigrationReport r, LinkVia via) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("effectiveSeed", p.effectiveSeed());
    o.put("migrationId", r.migrationId());
    o.put("outcome", r.outcome());
    o.put("match", r.match());
    // How the run was verified ("strict" for reports written before verification modes existed).
    o.put("verifyMode", r.verifyMode() == null ? "strict" : r.verifyMode());
    o.put("resumed", r.resumed());
    o.put("reportedDirtyLogMode", r.dirtyLogMode());
    o.put("reportedSwitchPolicy", r.switchPolicy());
    o.put("rounds", r.rounds());
    o.put("switchRound", r.switchRound());
    o.put("totalMillis", r.totalMillis());
    o.put("setupMillis", r.setupMillis());
    o.put("downtimeMillis", r.downtimeMillis());
    o.put("verifyMillis", r.verifyMillis());
    o.put("bytesSent", r.bytesSent());
    o.put("pagesSent", r.pagesSent());
    o.put("zeroPages", r.zeroPages());
    o.put("guestWritesPerSecBefore", r.guestWritesPerSecBefore());
    o.put("guestWritesPerSecDuring", r.guestWritesPerSecDuring());
    o.put("guestWritesPerSecAfter", r.guestWritesPerSecAfter());
    // Pure post-copy has no pre-copy phase to slow down (its cost is the post-copy blocktime).
    boolean purePostcopy = r.postcopy() != null && "postcopy".equals(r.postcopy().mode());
    o.put("guestSlowdownPercent",
        purePostcopy ? null : slowdownPercent(r.guestWritesPerSecBefore(), r.guestWritesPerSecDuring()));
    o.put("maxThrottlePercent", r.maxThrottlePercent());
    o.put(
        "throughputBytesPerSec",
        r.totalMillis() > 0
            ? r.bytesSent() * 1000.0 / r.totalMillis()
            : null);
    double hwSum = 0, hwMax = 0, swSum = 0;
    int hwN = 0, swN = 0;
    RoundRecord last = null;
    for (RoundRecord s : r.roundStats()) {
      last = s;
      if (s.mode() == null) continue;
      String mode = s.mode().toLowerCase(Locale.ROOT);
      if (mode.startsWith("hw")) {
        hwSum += s.syncMillis();
        hwMax = Math.max(hwMax, s.syncMillis());
        hwN++;
      } else if (mode.startsWith("sw")) {
        swSum += s.syncMillis();
        swN++;
      }
    }
    o.put("hwSyncMillisMean", hwN == 0 ? null : hwSum / hwN);
    o.put("hwSyncMillisMax", hwN == 0 ? null : hwMax);
    o.put("swSyncMillisMean", swN == 0 ? null : swSum / swN);
    o.put("lastSyncMillis", last == null ? null : last.syncMillis());
    o.put("lastDirtyPages", last == null ? null : last.dirtyPages());
    o.put("predictedDowntimeMillis", r.predictedDowntimeMillis());
    o.put("predictionError", r.predictionError());
    o.put("lostWorkSeconds", r.lostWorkSeconds());
    // issue 15 (stats): the lost-work noise bound and the distributions
    o.put("lostWorkNoiseSeconds", r.lostWorkNoiseSeconds());
    percentiles(o, "batchSend", r.batchSendLatency());
    percentiles(o, "syncTime", r.syncTime());
    DowntimeParts d = r.downtimeParts();
    o.put("dtPauseMillis", d == null ? null : d.pauseMillis());
    o.put("dtFinalSyncMillis", d == null ? null : d.finalSyncMillis());
    o.put("dtFinalSendMillis", d == null ? null : d.finalSendMillis());
    o.put("dtVcpuCaptureMillis", d == null ? null : d.vcpuCaptureMillis());
    o.put("dtCommitExchangeMillis", d == null ? null : d.commitExchangeMillis());
    o.put(
        "dtDestMillis",
        d == null ? null : d.destCompletenessMillis() + d.destRestoreMillis() + d.destResumeMillis());
    o.put("dtUnaccountedMillis", d == null ? null : d.unaccountedMillis());
    o.put("gcInDowntimeMillis", d == null ? null : d.sourceGcMillis() + d.destGcMillis());
    o.put("gcShareSource", r.gc() == null ? null : r.gc().sourceShare());
    o.put("gcShareDest", r.gc() == null || !r.gc().destReported() ? null : r.gc().destShare());
    o.put("sourceDigest", r.sourceDigest());
    o.put("destDigest", r.destDigest());
    io.dbmmigrate.report.PostcopyReport pc = r.postcopy();
    o.put("postcopy.mode", pc == null ? null : pc.mode());
    o.put("postcopy.missingAtSwitchover", pc == null ? null : pc.missingAtSwitchover());
    o.put("postcopy.pagesPushed", pc == null ? null : pc.pagesPushed());
    o.put("postcopy.pagesRequested", pc == null ? null : pc.pagesRequested());
    o.put("postcopy.blocktimeMillisTotal", pc == null ? null : pc.blocktimeMillisTotal());
    o.put("postcopy.requestLatencyP50Millis", pc == null ? null : pc.requestLatencyP50Millis());
    o.put("postcopy.requestLatencyP99Millis", pc == null ? null : pc.requestLatencyP99Millis());
    o.put("postcopy.requestLatencyMaxMillis", pc == null ? null : pc.requestLatencyMaxMillis());
    o.put("postcopy.lastPageMillis", pc == null ? null : pc.lastPageMillis());
    o.put("postcopy.recoveries", pc == null ? null : pc.recoveries());
    o.put("postcopy.receiptMatch", pc == null ? null : pc.receiptMatch());
    o.put("linkRateVia", via.rate());
    o.put("latencyVia", via.latency());
    o.put("lossVia", via.loss());
    return o;
  }

  private static void percentiles(Map<String, Object> o, String prefix, LatencyPercentiles p) {
    o.put(prefix + "Count", p == null ? null : p.count());
    o.put(prefix + "P50Millis", p == null ? null : p.p50Millis());
    o.put(prefix + "P99Millis", p == null ? null : p.p99Millis());
    o.put(prefix + "MaxMillis", p == null ? null : p.maxMillis());
  }

  /** 100 × (1 − during / before); 0 for a guest that did not write (idle), null when unknown. */
  static Double slowdownPercent(Double before, Double during) {
    if (before == null || during == null) return null;
    if (before <= 0) return 0.0;
    return 100.0 * (1.0 - during / before);
  }
}
