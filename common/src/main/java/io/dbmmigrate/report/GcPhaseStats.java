package io.dbmmigrate.report;

/**
 * Collector pauses of one node in one phase of a migration.
 *
 * @param node "source" or "dest"
 * @param phase "setup", "rounds", "downtime" or "commit" (verification hashing and after)
 * @param count pauses that started in the phase
 * @param pauseMillis their total duration
 */
public record GcPhaseStats(String node, String phase, int count, double pauseMillis) {}
