package io.dbmmigrate.report;

import java.util.List;

/**
 * Collector accounting of one migration, per node and phase (issue 10 item 5). A node that could
 * not report (an older destination) has no rows.
 *
 * @param phases one row per node and phase, in phase order
 * @param sourceShare the source's total pause time / migration time (a fraction)
 * @param destShare the destination's total pause time / migration time (a fraction; 0 when it did
 *     not report)
 * @param destReported whether the destination reported its pauses
 */
public record GcReport(List<GcPhaseStats> phases, double sourceShare, double destShare, boolean destReported) {
  public GcReport {
    phases = phases == null ? List.of() : List.copyOf(phases);
  }

  public double millis(String node, String phase) {
    return phases.stream()
        .filter(p -> p.node().equals(node) && p.phase().equals(phase))
        .mapToDouble(GcPhaseStats::pauseMillis)
        .sum();
  }

  public int count(String node, String phase) {
    return phases.stream()
        .filter(p -> p.node().equals(node) && p.phase().equals(phase))
        .mapToInt(GcPhaseStats::count)
        .sum();
  }
}
