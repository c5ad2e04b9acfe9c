package io.dbmmigrate.source.cli;

import io.dbmmigrate.machine.MachineOptions;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.metrics.MetricsOptions;
import io.dbmmigrate.source.control.MigrationMetrics;
import io.dbmmigrate.source.control.MigrationRunner;
import io.dbmmigrate.source.migration.MigrationResult;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.source.transport.HostPort;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Hosts a fresh VM, lets it run, migrates it to a destination and prints the result. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Creates a simulated VM, lets its vCPUs run for --warmup-ms, live-migrates it to the destination"
          + " with pre-copy, and prints the per-round table and the summary.",
      "Exit code: 0 when the destination verified the memory (digests match) and resumed the VM,"
          + " 1 on failure or mismatch, 2 on bad usage."
    })
public final class MigrateCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(MigrateCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--target", required = true, paramLabel = "HOST:PORT", description = "The destination's MigrationTarget endpoint.")
  String target;

  @Mixin MachineOptions machine;

  @Mixin MigrationOptions migration;

  @Mixin TlsOptions tls = new TlsOptions();

  @Mixin PageExecutorOption pages = new PageExecutorOption();

  @Mixin MetricsOptions metrics = new MetricsOptions();

  @Option(names = "--report", paramLabel = "FILE", description = "Write the report as JSON to FILE.")
  Path reportFile;

  @Option(names = "--csv", paramLabel = "DIR", description = "Write rounds.csv and summary.csv into DIR.")
  Path csvDir;

  @Option(names = "--no-progress", description = "No progress bar (one line per round instead).")
  boolean noProgress;

  @Option(
      names = "--prefill",
      paramLabel = "FRACTION",
      description =
          "Benchmarks: before the vCPUs start, fill this fraction (0..1) of guest RAM with non-zero,"
              + " incompressible content, so that round 0 sends real pages. Default: 0.")
  double prefill;

  @Override
  public Integer call() throws Exception {
    HostPort to;
    MigrationSettings settings;
    io.dbmmigrate.source.migration.PostcopySettings postcopy;
    VmSpec vmSpec;
    try {
      to = HostPort.parse(target);
    } catch (IllegalArgumentException e) {
      throw Usage.error(spec, "--target: " + e.getMessage());
    }
    try {
      tls.channelCredentials(to.host()); // refuses plaintext to a routable host unless asked for
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw Usage.error(spec, e.getMessage());
    }
    try {
      settings = migration.toSettings();
      postcopy = migration.toPostcopySettings();
      vmSpec = machine.toVmSpec();
    } catch (IllegalArgumentException e) {
      throw Usage.error(spec, e.getMessage());
    }
    if (!(prefill >= 0 && prefill <= 1)) throw Usage.error(spec, "--prefill must be between 0 and 1, not " + prefill);
    VmHost host = new VmHost(VmHost.ReplacePolicy.REFUSE);
    MigrationRunner runner = NodeFactory.runner(host, tls, pages.pageExecutor);
    runner.setWorkloadLabel(vmSpec.workload());
    Thread hook =
        new Thread(
            () -> {
              if (runner.cancel("SIGTERM: the source node is shutting down")) {
                log.warn("shutting down: migration cancelled, the VM stays on the source");
                try {
                  runner.awaitIdle(15_000);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              host.close();
            },
            "source-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      metrics.start("source", GcPauseRecorder.start(System::nanoTime), r -> MigrationMetrics.bind(r, runner));
    } catch (IllegalArgumentException e) {
      throw Usage.error(spec, e.getMessage());
    }
    VirtualMachine vm = SimulatedVms.builder(vmSpec).options(machine).build();
    if (prefill > 0) {
      long pages = Prefill.fill(vm.memory(), prefill, vmSpec.seed());
      log.info("prefilled {} pages with non-zero content", pages);
    }
    host.host(vm);
    vm.resume();
    boolean bar = !noProgress && System.console() != null;
    MigrationResult result = runner.run(to, settings, postcopy, new ConsoleProgress(System.err, bar));
    ReportOutputs.emit(result.report(), System.out, reportFile, csvDir);
    host.close();
    return result.report().verified() ? 0 : 1;
  }
}
