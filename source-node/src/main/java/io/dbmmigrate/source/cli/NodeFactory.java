package io.dbmmigrate.source.cli;

import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.source.control.MigrationRunner;
import io.dbmmigrate.source.migration.FaultCostMeter;
import io.dbmmigrate.source.migration.TransferException;
import io.dbmmigrate.source.transport.GrpcTargetConnector;
import io.dbmmigrate.wire.PageExecutor;
import io.grpc.ChannelCredentials;
import java.io.UncheckedIOException;
import java.net.InetAddress;

/** Wires a {@link MigrationRunner} for the real node (gRPC transport, system clock). */
final class NodeFactory {
  private NodeFactory() {}

  /**
   * @param tls transport security of the channels to destinations, decided per target host (mutual
   *     TLS, or plaintext when asked for or on loopback); a refused target fails the migration in
   *     its setup, with the VM left running here
   * @param pageExecutor where the page streams' callbacks run
   */
  static MigrationRunner runner(VmHost host, TlsOptions tls, PageExecutor pageExecutor) {
    String sourceId = hostName() + "/" + ProcessHandle.current().pid();
    return new MigrationRunner(
        host,
        (target, s) -> {
          ChannelCredentials credentials;
          try {
            credentials = tls.channelCredentials(target.host());
          } catch (IllegalArgumentException | UncheckedIOException e) {
            String why = e.getMessage();
            return (shape, options, limiter) -> {
              throw new TransferException("transport security: " + why);
            };
          }
          return new GrpcTargetConnector(
              target, sourceId, s.rpcTimeoutMillis(), s.streamStallMillis(), credentials, pageExecutor);
        },
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
