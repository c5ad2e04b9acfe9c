package io.dbmmigrate.experiment;

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
    o.put("guestSlowdownPercent", slowdownPercent(r.guestWritesPerSecBefore(), r.guestWritesPerSecDuring()));
    o.put("maxThrottlePercent", r.maxThrottlePercent());
    o.put(
        "throughputBytesPerSec",
        r.bytesSent() != null && r.totalMillis() != null && r.totalMillis() > 0
            ? r.bytesSent() * 1000.0 / r.totalMillis()
            : null);
    double hwSum = 0, hwMax = 0, swSum = 0;
    int hwN = 0, swN = 0;
    MigrationReport.RoundStat last = null;
    for (MigrationReport.RoundStat s : r.roundStatsOrEmpty()) {
      last = s;
      if (s.syncMillis() == null || s.mode() == null) continue;
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
    o.put("sourceDigest", r.sourceDigest());
    o.put("destDigest", r.destDigest());
    Map<String, Object> pc = r.postcopy() == null ? Map.of() : r.postcopy();
    for (String k :
        new String[] {"missingAtSwitchover", "pagesPushed", "pagesRequested", "blocktimeMillisTotal",
          "requestLatencyP50Millis", "requestLatencyP99Millis", "requestLatencyMaxMillis", "lastPageMillis",
          "recoveries", "receiptMatch"})
      o.put("postcopy." + k, pc.get(k));
    o.put("linkRateVia", via.rate());
    o.put("latencyVia", via.latency());
    o.put("lossVia", via.loss());
    return o;
  }

  /** 100 × (1 − during / before); 0 for a guest that did not write (idle), null when unknown. */
  static Double slowdownPercent(Double before, Double during) {
    if (before == null || during == null) return null;
    if (before <= 0) return 0.0;
    return 100.0 * (1.0 - during / before);
  }
}
