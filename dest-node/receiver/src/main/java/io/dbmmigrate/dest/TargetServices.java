package io.dbmmigrate.dest;

import io.dbmmigrate.machine.VmHost;
import io.grpc.BindableService;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/** The services a node serves to receive VMs, for the destination node and for nodes that do both. */
public final class TargetServices {
  private TargetServices() {}

  /** MigrationTarget and VmInspection over the given host. */
  public static List<BindableService> create(
      VmHost host, TargetConfig config, ScheduledExecutorService scheduler) {
    return List.of(
        new MigrationTargetService(host, config, scheduler, System::nanoTime),
        new VmInspectionService(host));
  }
}
