package io.dbmmigrate.report;

import java.util.List;

/**
 * Post-copy statistics, as QEMU's {@code info migrate} reports them: blocktime (per vCPU: time it
 * waited for missing pages; total: time all vCPUs waited at once), page-request latency (request
 * sent by the destination → page installed, an HdrHistogram's p50/p99/max), pages pushed in the
 * background against pages requested, and the time from switchover to the last page.
 *
 * @param mode precopy, postcopy or hybrid (hybrid that converged without post-copy: null report)
 * @param missingAtSwitchover pages the destination lacked when it resumed
 * @param receiptMatch whether the destination's receipt digest equals the source's image at
 *     switchover
 * @param mismatchedRanges guest-physical ranges ("0xSTART+0xLEN") whose receipt sums differ
 */
public record PostcopyReport(
    String mode,
    String trigger,
    long missingAtSwitchover,
    long pagesPushed,
    long pagesRequested,
    long duplicatePages,
    List<Double> blocktimeMillisPerVcpu,
    double blocktimeMillisTotal,
    double requestLatencyP50Millis,
    double requestLatencyP99Millis,
    double requestLatencyMaxMillis,
    double lastPageMillis,
    int recoveries,
    boolean receiptMatch,
    List<String> mismatchedRanges) {
  public PostcopyReport {
    blocktimeMillisPerVcpu = blocktimeMillisPerVcpu == null ? List.of() : List.copyOf(blocktimeMillisPerVcpu);
    mismatchedRanges = mismatchedRanges == null ? List.of() : List.copyOf(mismatchedRanges);
  }

  /** Sum of the per-vCPU blocktimes. */
  public double blocktimeMillisVcpuSum() {
    double s = 0;
    for (double d : blocktimeMillisPerVcpu) s += d;
    return s;
  }
}
