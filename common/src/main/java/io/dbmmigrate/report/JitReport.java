package io.dbmmigrate.report;

/**
 * Time the JVMs' JIT compilers spent in the migration's phases, the source's and (when it reports
 * them) the destination's ({@code
 * io.dbmmigrate.jvm.JitClock}): compilation competes with the page path for the cores, so a
 * round's throughput or a downtime that coincides with much of it measures the JVM warming up
 * as well as the migration.
 *
 * @param roundsMillis compile time from the first round to the pause
 * @param downtimeMillis compile time from the pause to the destination's answer (the hashing of
 *     a strict verification included: the JVM's counter has no finer boundary)
 * @param roundsShare roundsMillis over the rounds' wall time
 * @param destRoundsMillis the destination JVM's compile time from the first page batch it applied
 *     to its receipt of the commit; null when the destination does not report it
 * @param destCommitMillis the destination's compile time from commit receipt to its answer (its
 *     share of the downtime, hashing included); null when not reported
 */
public record JitReport(
    double roundsMillis, double downtimeMillis, double roundsShare, Double destRoundsMillis, Double destCommitMillis) {
  /** The source's part only. */
  public JitReport(double roundsMillis, double downtimeMillis, double roundsShare) {
    this(roundsMillis, downtimeMillis, roundsShare, null, null);
  }
}
