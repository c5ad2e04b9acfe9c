package io.dbmmigrate.source.migration;

/** Measures what one write-permission fault costs the guest, for the {@code cost} switch policy. */
@FunctionalInterface
public interface FaultCostMeter {
  /** Nanoseconds per fault as measured so far; NaN while unknown. */
  double perFaultNanos();

  FaultCostMeter UNKNOWN = () -> Double.NaN;
}
