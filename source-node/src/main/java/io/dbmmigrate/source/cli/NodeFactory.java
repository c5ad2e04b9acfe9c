package io.dbmmigrate.source.cli;

import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.source.control.MigrationRunner;
import io.dbmmigrate.source.migration.FaultCostMeter;
import io.dbmmigrate.source.transport.GrpcTargetConnector;
import java.net.InetAddress;

/** Wires a {@link MigrationRunner} for the real node (gRPC transport, system clock). */
final class NodeFactory {
  private NodeFactory() {}

  static MigrationRunner runner(VmHost host) {
    String sourceId = hostName() + "/" + ProcessHandle.current().pid();
    return new MigrationRunner(
        host,
        (target, s) -> new GrpcTargetConnector(target, sourceId, s.rpcTimeoutMillis(), s.streamStallMillis()),
        NodeFactory::faultCost,
        new MigrationIds(),
        NanoClock.system());
  }

  /**
   * What a write-permission fault costs the guest: the simulated machine charges each stage-2 fault
   * its cost model's {@code faultCostNanos} of guest time (a VM exit on real hardware). Unknown for
   * other VMs.
   */
  static FaultCostMeter faultCost(VirtualMachine vm) {
    if (vm instanceof SimulatedVm s) {
      double nanos = s.spec().tuning().faultCostNanos();
      return () -> nanos;
    }
    return FaultCostMeter.UNKNOWN;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "source";
    }
  }
}
