package io.dbmmigrate.machine;

/** Creates simulated VMs. */
public final class SimulatedVms {
  private SimulatedVms() {}

  /**
   * A new VM, paused (no vCPU runs until {@link VirtualMachine#resume()}), memory all zeros except
   * the ROM, which holds a deterministic pattern derived from the seed.
   */
  public static VirtualMachine create(VmSpec spec) {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
