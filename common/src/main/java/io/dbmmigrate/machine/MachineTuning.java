package io.dbmmigrate.machine;

/**
 * Tuning of the simulated hardware and host: cost model and host memory-management event rates.
 * (Filled in by the MMU work; the engine only passes it through.)
 */
public record MachineTuning() {
  public static MachineTuning defaults() {
    return new MachineTuning();
  }
}
