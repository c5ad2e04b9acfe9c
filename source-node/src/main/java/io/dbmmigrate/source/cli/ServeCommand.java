package io.dbmmigrate.source.cli;

import io.dbmmigrate.dest.TargetConfig;
import io.dbmmigrate.dest.TargetServices;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.MachineOptions;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.dest.ReceiverMetrics;
import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.metrics.MetricsOptions;
import io.dbmmigrate.process.ListeningLine;
import io.dbmmigrate.source.control.MigrationControlService;
import io.dbmmigrate.source.control.MigrationMetrics;
import io.dbmmigrate.source.control.MigrationRunner;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.net.tls.ServerSecurity;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.wire.GrpcServers;
import io.dbmmigrate.wire.ServerTransport;
import io.dbmmigrate.wire.TransportTuning;
import io.grpc.BindableService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A long-running node: hosts a VM (or none) and serves the control API, VM inspection and the
 * target services, so that it can migrate its VM away and later receive one (ping-pong).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Hosts a VM (or none with --no-vm) and serves MigrationControl, MigrationTarget, VmInspection,"
          + " gRPC health and reflection. Prints 'SOURCE_LISTENING port=<n>' on stdout when ready.",
      "Migration options given here are the defaults for migrations started through the control API."
    })
public final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--port", paramLabel = "N", description = "TCP port, 0 for an ephemeral one. Default: ${DEFAULT-VALUE}.")
  int port = 7071;

  @Option(names = "--bind", paramLabel = "ADDR", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
  String bind = "127.0.0.1";

  @Option(names = "--no-vm", description = "Start without a VM (wait to receive one).")
  boolean noVm;

  @Option(
      names = "--allow-test-faults",
      description = "Accept test-only fault injection on incoming migrations. Never in production.")
  boolean allowTestFaults;

  @Option(
      names = "--max-inbound-bytes",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = "Largest page batch accepted on incoming migrations. Default: 16m.")
  long maxInboundBatchBytes = TargetConfig.DEFAULT_MAX_BATCH_BYTES;

  @Option(
      names = "--accept-replace",
      description = {
        "Let an incoming migration replace (destroy) the VM this node hosts. Off by default: while",
        "the node hosts a VM, BeginSession gets FAILED_PRECONDITION naming it."
      })
  boolean acceptReplace;

  @Mixin MachineOptions machine;

  @Mixin MigrationOptions migration;

  @Mixin TlsOptions tls = new TlsOptions();

  @Mixin PageExecutorOption pages = new PageExecutorOption();

  @Mixin MetricsOptions metrics = new MetricsOptions();

  @Option(
      names = "--allowed-source",
      paramLabel = "IDENTITY",
      description = "Identity allowed to send a VM here (repeatable; cn:, uri:, dns: or '*'); required with mutual TLS.")
  List<String> allowedSources = new ArrayList<>();

  @Option(
      names = "--allowed-controller",
      paramLabel = "IDENTITY",
      description = "Identity allowed to use the control API (repeatable); default: any certificate from the CA.")
  List<String> allowedControllers = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) throw Usage.error(spec, "--port must be 0..65535, not " + port);
    if (maxInboundBatchBytes < 4104 || maxInboundBatchBytes > (64 << 20))
      throw Usage.error(spec, "--max-inbound-bytes must be between 4104 and 64m, not " + maxInboundBatchBytes);
    MigrationSettings defaults;
    io.dbmmigrate.source.migration.PostcopySettings postcopyDefaults;
    VmSpec vmSpec;
    try {
      defaults = migration.toSettings();
      postcopyDefaults = migration.toPostcopySettings();
      vmSpec = machine.toVmSpec();
    } catch (IllegalArgumentException e) {
      throw Usage.error(spec, e.getMessage());
    }
    ServerSecurity security;
    try {
      security = ServerSecurity.decide(tls, bind, allowedSources, allowedControllers);
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw Usage.error(spec, e.getMessage());
    }
    VmHost host = newHost();
    MigrationRunner runner = NodeFactory.runner(host, tls, pages.pageExecutor);
    runner.setWorkloadLabel(vmSpec.workload());
    if (!noVm) {
      VirtualMachine vm = SimulatedVms.builder(vmSpec).options(machine).build();
      host.host(vm);
      vm.resume();
    }
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "serve-watchdog");
              t.setDaemon(true);
              return t;
            });
    TargetConfig targetConfig =
        new TargetConfig(allowTestFaults, (int) maxInboundBatchBytes, 64, 30_000, tuning(vmSpec));
    TargetServices.Target target =
        TargetServices.create(
            host, targetConfig, io.dbmmigrate.dest.GuestCapacity.mappedGuest(targetConfig.maxInflightBytes()),
            scheduler, System::nanoTime);
    List<BindableService> services = new ArrayList<>(target.services());
    services.add(new MigrationControlService(runner, defaults, postcopyDefaults));
    GrpcServers.Running server =
        GrpcServers.start(
            ServerTransport.netty(TransportTuning.DEFAULT, pages.pageExecutor),
            new GrpcServers.Settings(
                bind, port, (int) maxInboundBatchBytes + (1 << 20), security.credentials(), security.interceptors()),
            services);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (runner.cancel("SIGTERM: the node is shutting down"))
                    log.warn("shutting down: migration cancelled, the VM stays here");
                  try {
                    runner.awaitIdle(15_000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  server.shutdown(5_000);
                  host.close();
                  scheduler.shutdownNow();
                },
                "serve-shutdown"));
    log.info("serving on {}:{} ({})", bind, server.port(), noVm ? "no VM" : "hosting a VM");
    System.out.println(ListeningLine.format("SOURCE", server.port()));
    System.out.flush();
    metrics.start(
        "source",
        GcPauseRecorder.start(System::nanoTime),
        r -> {
          MigrationMetrics.bind(r, runner);
          ReceiverMetrics.bind(r, target.receiver());
        });
    server.server().awaitTermination();
    return 0;
  }

  /** Incoming VMs get the same simulated hardware as this node's own. */
  private static MachineTuning tuning(VmSpec spec) {
    return spec.tuning();
  }

  /** The node's VM host: it refuses to replace a hosted VM unless --accept-replace was given. */
  VmHost newHost() {
    return new VmHost(acceptReplace ? VmHost.ReplacePolicy.ACCEPT_REPLACE : VmHost.ReplacePolicy.REFUSE);
  }
}
