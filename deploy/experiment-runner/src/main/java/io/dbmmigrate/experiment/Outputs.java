package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The output columns of a result row (DESIGN.md "Outputs", flattened to one row per run), in CSV
 * order. Per-round statistics and the throughput timeline are kept whole in results.json and
 * long-form in rounds.csv and timeline.csv; the row carries their summaries.
 *
 * <p>A column is required for a kind when every successful run of that kind must have it; the
 * mode-dependent summaries (hardware- or software-mode sync time) are empty where the run had no
 * round in that mode.
 */
final class Outputs {
  record Column(String name, boolean numeric, Set<PointKind> kinds, boolean required, String description) {}

  private static final Set<PointKind> MIG = EnumSet.of(PointKind.MIGRATION);
  private static final Set<PointKind> SCAN = EnumSet.of(PointKind.SCAN);
  private static final Set<PointKind> PERF = EnumSet.of(PointKind.PERF);

  static final List<Column> COLUMNS =
      List.of(
          new Column("effectiveSeed", true, EnumSet.allOf(PointKind.class), true, "seed used: seed + repetition"),
          // Migration: the report's top-level fields.
          new Column("migrationId", false, MIG, true, "source's migration id"),
          new Column("outcome", false, MIG, true, "COMPLETED, FAILED or CANCELLED"),
          new Column("match", false, MIG, true, "destination digest equals source digest"),
          new Column("resumed", false, MIG, true, "VM resumed on the destination"),
          new Column("reportedDirtyLogMode", false, MIG, true, "dirty-log mode as reported"),
          new Column("reportedSwitchPolicy", false, MIG, true, "switch policy as reported"),
          new Column("rounds", true, MIG, true, "pre-copy rounds"),
          new Column("switchRound", true, MIG, true, "round of the hw→sw switch, -1 none"),
          new Column("totalMillis", true, MIG, true, "total migration time"),
          new Column("setupMillis", true, MIG, true, "session setup"),
          new Column("downtimeMillis", true, MIG, true, "pause → destination ready to resume (without digest)"),
          new Column("verifyMillis", true, MIG, true, "digest verification beside the downtime"),
          new Column("bytesSent", true, MIG, true, "bytes on the wire"),
          new Column("pagesSent", true, MIG, true, "pages sent"),
          new Column("zeroPages", true, MIG, true, "zero pages sent as markers"),
          new Column("guestWritesPerSecBefore", true, MIG, true, "guest stores/s before migration"),
          new Column("guestWritesPerSecDuring", true, MIG, true, "guest stores/s during pre-copy"),
          new Column("guestWritesPerSecAfter", true, MIG, true, "guest stores/s after resume"),
          new Column("guestSlowdownPercent", true, MIG, true, "100 × (1 − during / before)"),
          new Column("maxThrottlePercent", true, MIG, true, "highest auto-converge throttle"),
          new Column("throughputBytesPerSec", true, MIG, true, "bytesSent / totalMillis"),
          new Column("hwSyncMillisMean", true, MIG, false, "mean sync time of HW-mode rounds"),
          new Column("hwSyncMillisMax", true, MIG, false, "max sync time of HW-mode rounds"),
          new Column("swSyncMillisMean", true, MIG, false, "mean sync time of SW-mode rounds"),
          new Column("lastSyncMillis", true, MIG, true, "sync time of the last round (inside downtime)"),
          new Column("lastDirtyPages", true, MIG, true, "dirty pages of the last round"),
          // Fidelity (issue 15, issue 10 item 5): absent from reports of older sources.
          new Column("predictedDowntimeMillis", true, MIG, false, "downtime predicted when the pause was decided"),
          new Column("predictionError", true, MIG, false, "|predicted − actual| / actual"),
          new Column("lostWorkSeconds", true, MIG, false, "guest-seconds lost against the steady-state write rate"),
          // issue 15 (stats): lost-work noise and distributions (HdrHistogram percentiles).
          new Column("lostWorkNoiseSeconds", true, MIG, false, "±bound the baseline's spread puts on lost work"),
          new Column("batchSendCount", true, MIG, false, "page batches timed (flow-control wait + onNext)"),
          new Column("batchSendP50Millis", true, MIG, false, "per-batch send latency, median"),
          new Column("batchSendP99Millis", true, MIG, false, "per-batch send latency, 99th percentile"),
          new Column("batchSendMaxMillis", true, MIG, false, "per-batch send latency, maximum"),
          new Column("syncTimeCount", true, MIG, false, "rounds that synced the dirty log"),
          new Column("syncTimeP50Millis", true, MIG, false, "dirty-sync time across rounds, median"),
          new Column("syncTimeP99Millis", true, MIG, false, "dirty-sync time across rounds, 99th percentile"),
          new Column("syncTimeMaxMillis", true, MIG, false, "dirty-sync time across rounds, maximum"),
          new Column("dtPauseMillis", true, MIG, false, "downtime part: stopping the vCPUs"),
          new Column("dtFinalSyncMillis", true, MIG, false, "downtime part: final dirty-log sync"),
          new Column("dtFinalSendMillis", true, MIG, false, "downtime part: final pages sent and acknowledged"),
          new Column("dtVcpuCaptureMillis", true, MIG, false, "downtime part: vCPU state capture"),
          new Column("dtCommitExchangeMillis", true, MIG, false, "downtime part: commit call minus destination parts"),
          new Column("dtDestMillis", true, MIG, false, "downtime part: destination completeness + restore + resume"),
          new Column("dtUnaccountedMillis", true, MIG, false, "downtime remainder no part explains"),
          new Column("gcInDowntimeMillis", true, MIG, false, "collector pause time overlapping the downtime, both nodes"),
          new Column("gcShareSource", true, MIG, false, "source GC pause time / migration time"),
          new Column("gcShareDest", true, MIG, false, "destination GC pause time / migration time"),
          new Column("sourceDigest", false, MIG, true, "SHA-256 of source memory"),
          new Column("destDigest", false, MIG, true, "SHA-256 of destination memory"),
          new Column("linkRateVia", false, MIG, true, "how the link rate was applied: none, max-bandwidth, tbf, htb"),
          new Column("latencyVia", false, MIG, true, "how RTT/jitter were applied: none, relay, netem"),
          new Column("lossVia", false, MIG, true, "how loss was applied: none, nftables, netem"),
          // Post-copy (issue 13): empty for pre-copy runs and hybrid runs that converged.
          new Column("postcopy.mode", false, MIG, false, "postcopy, hybrid or lost"),
          new Column("postcopy.missingAtSwitchover", true, MIG, false, "pages the destination lacked when it resumed"),
          new Column("postcopy.pagesPushed", true, MIG, false, "missing pages pushed in the background"),
          new Column("postcopy.pagesRequested", true, MIG, false, "missing pages the destination requested"),
          new Column("postcopy.blocktimeMillisTotal", true, MIG, false, "time all vCPUs waited for pages at once"),
          new Column("postcopy.requestLatencyP50Millis", true, MIG, false, "page request → page installed, median"),
          new Column("postcopy.requestLatencyP99Millis", true, MIG, false, "page request → page installed, p99"),
          new Column("postcopy.requestLatencyMaxMillis", true, MIG, false, "page request → page installed, max"),
          new Column("postcopy.lastPageMillis", true, MIG, false, "switchover → last missing page installed"),
          new Column("postcopy.recoveries", true, MIG, false, "reconnections after a cut or stalled link"),
          new Column("postcopy.receiptMatch", false, MIG, false, "receipt digest equals the source's image at switchover"),
          // Scan points.
          new Column("syncMillis", true, SCAN, true, "median HW sync time"),
          new Column("syncMillisMin", true, SCAN, true, "fastest HW sync"),
          new Column("syncMillisMax", true, SCAN, true, "slowest HW sync"),
          new Column("syncMillisPer64GiB", true, SCAN, true, "median scaled to a 64 GiB guest"),
          new Column("swSyncMillis", true, SCAN, false, "SW-mode sync of the same dirty set"),
          new Column("ptesVisited", true, SCAN, true, "PTEs visited by one HW sync"),
          new Column("dirtyPages", true, SCAN, true, "pages found dirty per sync"),
          // Perf points (dirty_log_perf_test): milliseconds; first iteration and mean over all.
          new Column("populateMillis", true, PERF, true, "iteration 0: every page written, logging off"),
          new Column("enableMillis", true, PERF, true, "enabling dirty logging"),
          new Column("dirtyMemoryMillisFirst", true, PERF, true, "guest's dirty-memory time, iteration 1"),
          new Column("dirtyMemoryMillisMean", true, PERF, true, "guest's dirty-memory time, mean per iteration"),
          new Column("getLogMillisFirst", true, PERF, true, "get dirty log (or the one harvest), iteration 1"),
          new Column("getLogMillisMean", true, PERF, true, "get dirty log (or the one harvest), mean"),
          new Column("clearLogMillisFirst", true, PERF, false, "clear dirty log, iteration 1 (sw, hw only)"),
          new Column("clearLogMillisMean", true, PERF, false, "clear dirty log, mean (sw, hw only)"),
          new Column("harvestedPagesMean", true, PERF, true, "pages reported per harvest, mean"),
          new Column("lostPages", true, PERF, true, "pages written and never reported (the oracle)"),
          new Column("deviceWrites", true, PERF, true, "pages written by the simulated DMA device"));

  /** Fields of a round that a {@code rounds} plot can show. */
  static final List<String> ROUND_FIELDS =
      List.of(
          "dirtyPages", "syncMillis", "ptesVisited", "pagesSent", "bytesSent", "sendMillis",
          "dirtyRatePagesPerSec", "throughputBytesPerSec", "remainingPages", "estimatedDowntimeMillis",
          "guestWritesPerSec", "throttlePercent");

  private Outputs() {}

  static List<Column> columnsFor(PointKind kind) {
    List<Column> out = new ArrayList<>();
    for (Column c : COLUMNS) if (c.kinds().contains(kind)) out.add(c);
    return out;
  }

  static boolean isNumericColumn(String name) {
    if (name.equals("wallMillis")) return true;
    for (Column c : COLUMNS) if (c.name().equals(name)) return c.numeric();
    return false;
  }

  static List<String> numericColumns() {
    List<String> out = new ArrayList<>();
    for (Column c : COLUMNS) if (c.numeric()) out.add(c.name());
    out.add("wallMillis");
    return out;
  }

  /** Names of required columns a successful row lacks (empty when complete). */
  static List<String> missing(PointKind kind, Map<String, Object> outputs) {
    // Pure post-copy runs no pre-copy round: no last round to summarize, no pre-copy slowdown.
    boolean noRounds = "postcopy".equals(outputs.get("postcopy.mode"));
    List<String> out = new ArrayList<>();
    for (Column c : columnsFor(kind))
      if (c.required() && outputs.get(c.name()) == null && !(noRounds && LAST_ROUND.contains(c.name())))
        out.add(c.name());
    return out;
  }

  /** The pre-copy phase's summaries (absent when post-copy ran from the start). */
  private static final Set<String> LAST_ROUND = Set.of("lastSyncMillis", "lastDirtyPages", "guestSlowdownPercent");

  static Map<String, Object> empty() {
    return new LinkedHashMap<>();
  }
}
