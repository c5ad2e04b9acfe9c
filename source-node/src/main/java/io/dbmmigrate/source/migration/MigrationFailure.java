package io.dbmmigrate.source.migration;

/** A migration ended without completing, typed by the phase it failed in. */
public class MigrationFailure extends Exception {
  private final MigrationPhase phase;
  private final boolean cancelled;

  public MigrationFailure(MigrationPhase phase, String message, boolean cancelled, Throwable cause) {
    super(message, cause);
    this.phase = phase;
    this.cancelled = cancelled;
  }

  public MigrationPhase phase() {
    return phase;
  }

  public boolean cancelled() {
    return cancelled;
  }
}
