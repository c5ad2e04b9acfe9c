package io.dbmmigrate.report;

import java.util.Locale;

/** Plain-text rendering of a {@link MigrationReport} for the console. Stateless. */
public final class ReportConsole {
  private static final String ROW =
      "%5s %-6s %9s %8s %3s %10s %9s %8s %9s %8s %10s %8s %9s %9s %11s %4s%n";

  /** The per-round table; the round whose sync switched hardware → software is marked "<- switch". */
  public String roundTable(MigrationReport r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "round",
            "mode",
            "dirty",
            "sync ms",
            "thr",
            "ptes",
            "sent",
            "zero",
            "MiB sent",
            "send ms",
            "dirty pg/s",
            "MiB/s",
            "remaining",
            "est.dt ms",
            "guest wr/s",
            "thr%"));
    for (RoundRecord x : r.roundStats()) {
      String line =
          String.format(
              Locale.ROOT,
              ROW,
              x.round(),
              x.mode(),
              x.dirtyPages(),
              fmt(x.syncMillis()),
              x.scanThreads(),
              x.ptesVisited(),
              x.pagesSent(),
              x.zeroPages(),
              fmt(x.bytesSent() / 1048576.0),
              fmt(x.sendMillis()),
              fmt0(x.dirtyRatePagesPerSec()),
              fmt(x.throughputBytesPerSec() / 1048576.0),
              x.remainingPages(),
              fmt(x.estimatedDowntimeMillis()),
              fmt0(x.guestWritesPerSec()),
              x.throttlePercent());
      if (x.round() == r.switchRound()) line = line.stripTrailing() + "  <- switch hw->sw\n";
      sb.append(line);
    }
    return sb.toString();
  }

  /** The final summary block. */
  public String summary(MigrationReport r) {
    StringBuilder sb = new StringBuilder();
    line(sb, "migration", r.migrationId() + "  " + r.outcome());
    if (r.error() != null && !r.error().isEmpty()) line(sb, "error", r.error());
    line(sb, "dirty log", r.dirtyLogMode() + ", switch policy " + r.switchPolicy());
    line(
        sb,
        "rounds",
        r.rounds()
            + (r.switchRound() >= 0
                ? "  (switch hw->sw in round " + r.switchRound() + ")"
                : "  (no switch)"));
    line(sb, "pages sent", r.pagesSent() + "  (zero pages " + r.zeroPages() + ")");
    line(sb, "bytes sent", r.bytesSent() + "  (" + fmt(r.bytesSent() / 1048576.0) + " MiB)");
    line(sb, "total time", fmt(r.totalMillis()) + " ms  (setup " + fmt(r.setupMillis()) + " ms)");
    DowntimeParts p = r.downtimeParts();
    line(
        sb,
        "downtime",
        fmt(r.downtimeMillis())
            + " ms  (pause -> resume acknowledged, hashing excluded)"
            + (p != null && p.containsGcPause() ? "  CONTAINS GC PAUSE" : ""));
    if (r.predictedDowntimeMillis() != null)
      line(
          sb,
          "  predicted",
          fmt(r.predictedDowntimeMillis())
              + " ms"
              + (r.predictionError() == null
                  ? ""
                  : String.format(Locale.ROOT, "  (error %.0f %%)", r.predictionError() * 100)));
    if (p != null) downtimeParts(sb, p);
    line(sb, "verify time", fmt(r.verifyMillis()) + " ms  (SHA-256 both sides, not in downtime)");
    line(
        sb,
        "guest writes/s",
        "before "
            + fmt0(r.guestWritesPerSecBefore())
            + ", during "
            + fmt0(r.guestWritesPerSecDuring())
            + ", after "
            + fmt0(r.guestWritesPerSecAfter()));
    if (r.lostWorkSeconds() != null) line(sb, "lost work", lostWork(r.lostWorkSeconds(), r.lostWorkNoiseSeconds()));
    if (r.batchSendLatency() != null)
      line(sb, "batch send", r.batchSendLatency().describe() + "  (flow-control wait + onNext, per batch)");
    if (r.syncTime() != null) line(sb, "sync time", r.syncTime().describe() + "  (per round that synced)");
    if (r.gc() != null) gc(sb, r.gc());
    if (r.jit() != null)
      line(
          sb,
          "JIT (source)",
          String.format(
              Locale.ROOT,
              "%.0f ms compiling in the rounds (%.1f %% of their wall time), %.0f ms from pause to answer",
              r.jit().roundsMillis(),
              100 * r.jit().roundsShare(),
              r.jit().downtimeMillis()));
    if (r.jit() != null && r.jit().destRoundsMillis() != null && r.jit().destCommitMillis() != null)
      line(
          sb,
          "JIT (dest)",
          String.format(
              Locale.ROOT,
              "%.0f ms compiling from its first batch to the commit, %.0f ms from the commit to its answer",
              r.jit().destRoundsMillis(),
              r.jit().destCommitMillis()));
    if (r.postcopy() != null) postcopy(sb, r.postcopy());
    if (r.maxThrottlePercent() > 0) line(sb, "max throttle", r.maxThrottlePercent() + " %");
    line(sb, "source digest", r.sourceDigest());
    line(sb, "dest digest", r.destDigest());
    boolean compared = !r.sourceDigest().isEmpty() && !r.destDigest().isEmpty();
    String verdict = r.match() ? "match" : compared ? "MISMATCH" : "not verified";
    line(sb, "result", verdict + (r.resumed() ? ", resumed on destination" : ", not resumed"));
    return sb.toString();
  }

  /**
   * The signed lost work with the baseline's noise bound; a negative value is flagged, never
   * hidden: within the bound it is noise, beyond it the baseline was too low ("BELOW BASELINE").
   */
  static String lostWork(double seconds, Double noise) {
    String v = String.format(Locale.ROOT, "%.3f guest-seconds", seconds);
    if (noise == null) return v + (seconds < 0 ? "  (negative; baseline spread unknown)" : "");
    v += String.format(Locale.ROOT, "  (baseline noise ±%.3f)", noise);
    if (seconds < -noise) return v + "  BELOW BASELINE: the guest outran its warm-up rate beyond noise";
    if (seconds < 0) return v + "  (negative, within noise)";
    return v;
  }

  private static void downtimeParts(StringBuilder sb, DowntimeParts p) {
    line(sb, "  vCPU pause", fmt2(p.pauseMillis()) + " ms");
    line(sb, "  final sync", fmt2(p.finalSyncMillis()) + " ms  (" + p.finalSyncPtes() + " PTEs)");
    line(
        sb,
        "  final send",
        fmt2(p.finalSendMillis()) + " ms  (" + p.finalSendPages() + " pages, " + p.finalSendBytes() + " bytes)");
    line(sb, "  vCPU capture", fmt2(p.vcpuCaptureMillis()) + " ms");
    line(sb, "  commit exch.", fmt2(p.commitExchangeMillis()) + " ms  (as seen by the source, dest parts excluded)");
    line(sb, "  dest checks", fmt2(p.destCompletenessMillis()) + " ms  (commit received -> completeness checked)");
    line(sb, "  dest ready", fmt2(p.destRestoreMillis()) + " ms  (-> vCPUs restored, ready to resume)");
    line(sb, "  dest resume", fmt2(p.destResumeMillis()) + " ms");
    line(sb, "  unaccounted", fmt2(p.unaccountedMillis()) + " ms");
    line(
        sb,
        "  GC in dt",
        "source " + p.sourceGcCount() + " x " + fmt2(p.sourceGcMillis()) + " ms, dest "
            + p.destGcCount() + " x " + fmt2(p.destGcMillis()) + " ms");
  }

  private static void gc(StringBuilder sb, GcReport g) {
    StringBuilder v = new StringBuilder();
    for (String node : new String[] {"source", "dest"}) {
      if (node.equals("dest") && !g.destReported()) {
        v.append("dest not reported");
        continue;
      }
      v.append(node).append(' ');
      for (String phase : new String[] {"setup", "rounds", "downtime", "commit"})
        v.append(phase).append(' ').append(g.count(node, phase)).append('/').append(fmt(g.millis(node, phase))).append(" ms ");
      v.append(String.format(Locale.ROOT, "(share %.4f)", node.equals("source") ? g.sourceShare() : g.destShare()));
      if (node.equals("source")) v.append("; ");
    }
    line(sb, "GC pauses", v.toString());
  }

  private static String fmt2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static void postcopy(StringBuilder sb, PostcopyReport p) {
    line(sb, "post-copy", p.mode() + " (" + p.trigger() + "), " + p.missingAtSwitchover() + " pages missing at switchover");
    line(sb, "pages", p.pagesPushed() + " pushed, " + p.pagesRequested() + " requested, " + p.duplicatePages() + " duplicates");
    StringBuilder per = new StringBuilder();
    for (double d : p.blocktimeMillisPerVcpu()) per.append(per.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f", d));
    line(sb, "blocktime", String.format(Locale.ROOT, "%.1f ms all vCPUs at once; per vCPU [%s] ms", p.blocktimeMillisTotal(), per));
    line(sb, "request latency", String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms, max %.2f ms",
        p.requestLatencyP50Millis(), p.requestLatencyP99Millis(), p.requestLatencyMaxMillis()));
    line(sb, "last page", String.format(Locale.ROOT, "%.0f ms after switchover, %d recoveries", p.lastPageMillis(), p.recoveries()));
    line(sb, "receipt digest", p.receiptMatch() ? "match" : "MISMATCH in " + p.mismatchedRanges());
  }

  private static void line(StringBuilder sb, String key, String value) {
    sb.append(String.format(Locale.ROOT, "  %-15s %s%n", key, value));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
