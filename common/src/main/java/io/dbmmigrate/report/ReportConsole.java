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
    line(sb, "downtime", fmt(r.downtimeMillis()) + " ms  (pause -> destination ready)");
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
    if (r.maxThrottlePercent() > 0) line(sb, "max throttle", r.maxThrottlePercent() + " %");
    line(sb, "source digest", r.sourceDigest());
    line(sb, "dest digest", r.destDigest());
    boolean compared = !r.sourceDigest().isEmpty() && !r.destDigest().isEmpty();
    String verdict = r.match() ? "match" : compared ? "MISMATCH" : "not verified";
    line(sb, "result", verdict + (r.resumed() ? ", resumed on destination" : ", not resumed"));
    return sb.toString();
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
