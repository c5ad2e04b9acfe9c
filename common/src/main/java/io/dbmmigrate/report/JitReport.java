package io.dbmmigrate.report;

/**
 * Time the source JVM's JIT compilers spent in the migration's phases ({@code
 * io.dbmmigrate.jvm.JitClock}): compilation competes with the page path for the cores, so a
 * round's throughput or a downtime that coincides with much of it measures the JVM warming up
 * as well as the migration.
 *
 * @param roundsMillis compile time from the first round to the pause
 * @param downtimeMillis compile time from the pause to the destination's answer (the hashing of
 *     a strict verification included: the JVM's counter has no finer boundary)
 * @param roundsShare roundsMillis over the rounds' wall time
 */
public record JitReport(double roundsMillis, double downtimeMillis, double roundsShare) {}
