package io.dbmmigrate.source.migration;

/** Stays in hardware mode for the whole migration, final sync included. */
public record NeverSwitchPolicy() implements SwitchPolicy {
  @Override
  public boolean shouldSwitch(SwitchContext ctx) {
    return false;
  }

  @Override
  public String label() {
    return "never";
  }

  @Override
  public boolean neverSwitches() {
    return true;
  }
}
