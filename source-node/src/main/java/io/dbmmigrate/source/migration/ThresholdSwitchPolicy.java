package io.dbmmigrate.source.migration;

/** Switches once at most {@code pages} pages are expected dirty in the next round. */
public record ThresholdSwitchPolicy(long pages) implements SwitchPolicy {
  @Override
  public boolean shouldSwitch(SwitchContext ctx) {
    return ctx.expectedDirtyPages() <= pages;
  }

  @Override
  public String label() {
    return "threshold:" + pages;
  }
}
