package io.dbmmigrate.source.cli;

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
        vm -> FaultCostMeter.UNKNOWN,
        new MigrationIds(),
        NanoClock.system());
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "source";
    }
  }
}
