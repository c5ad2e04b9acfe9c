package io.dbmmigrate.vcpu;

/**
 * What one vCPU stores to: a stream of page indexes into guest RAM. Owned by its vCPU thread; the
 * VM captures and restores it only while the vCPU is paused (the pause hand-off orders the
 * accesses).
 */
public interface Workload {
  /** The spec this workload was built from (its {@code toString()} goes on the wire). */
  WorkloadSpec spec();

  /** The next page to store to, as an index into guest RAM, or -1 when there is nothing to do. */
  long nextPage();

  /** Versioned encoding of the progress (cursor, PRNG state, count). */
  byte[] captureState();

  /** Restores progress captured from a workload of the same kind (on any node). */
  void restoreState(byte[] state);
}
