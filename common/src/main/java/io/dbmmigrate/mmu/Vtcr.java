package io.dbmmigrate.mmu;

/**
 * VTCR_EL2 of the simulated host: the two bits that matter here, HA (hardware access flag, bit 21)
 * and HD (hardware dirty state, bit 22).
 *
 * <p>Concurrency: written by the dirty-log control thread ({@link #set}, volatile), read by vCPUs
 * only when they reload it: after a kick ({@link Stage2Mmu#kickAll}) every vCPU reloads before its
 * next store, so a change takes effect for a vCPU when it is kicked, not earlier.
 */
public final class Vtcr {
  public static final long HA = 1L << 21;
  public static final long HD = 1L << 22;

  private volatile long value;
  /** Incremented by every kick; a vCPU that sees a new value reloads {@link #value()}. */
  private volatile long kickGeneration;

  public Vtcr(boolean hardwareAccessFlag) {
    this.value = hardwareAccessFlag ? HA : 0;
  }

  public long value() {
    return value;
  }

  public boolean hd() {
    return (value & HD) != 0;
  }

  public boolean ha() {
    return (value & HA) != 0;
  }

  /** Sets or clears bits; takes effect on a vCPU at its next kick. Single writer (control path). */
  public synchronized void set(long bits, boolean on) {
    value = on ? value | bits : value & ~bits;
  }

  long kickGeneration() {
    return kickGeneration;
  }

  synchronized void bumpKickGeneration() {
    kickGeneration = kickGeneration + 1;
  }
}
