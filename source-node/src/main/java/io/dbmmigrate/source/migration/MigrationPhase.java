package io.dbmmigrate.source.migration;

/**
 * Phases of a migration, as the control API reports them: SETUP → ROUNDS → PAUSED → COMMITTING →
 * COMPLETED | FAILED | CANCELLED. Before COMMITTING, a failure or cancel leaves the VM on the source.
 */
public enum MigrationPhase {
  SETUP,
  ROUNDS,
  PAUSED,
  COMMITTING,
  COMPLETED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
