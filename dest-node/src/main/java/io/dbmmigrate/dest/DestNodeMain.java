package io.dbmmigrate.dest;

import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.wire.GrpcServers;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The destination node: receives one migration at a time, verifies it, resumes the VM. */
@Command(
    name = "dest-node",
    mixinStandardHelpOptions = true,
    version = "dbm-migrate dest-node 0.1.0",
    description = {
      "Receives a live-migrated VM over gRPC, verifies its memory with SHA-256 and resumes it.",
      "Prints 'DEST_LISTENING port=<n>' on stdout once it accepts connections."
    },
    sortOptions = false)
public final class DestNodeMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(DestNodeMain.class);

  @Option(names = "--port", description = "TCP port to listen on, 0 for an ephemeral one (default: ${DEFAULT-VALUE}).")
  int port = 7070;

  @Option(names = "--bind", description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for all).")
  String bind = "127.0.0.1";

  @Option(
      names = "--max-batch-bytes",
      converter = ByteSize.class,
      description = "Largest uncompressed page batch accepted (default: ${DEFAULT-VALUE} bytes = 16m).")
  long maxBatchBytes = TargetConfig.DEFAULT_MAX_BATCH_BYTES;

  @Option(names = "--max-streams", description = "Most parallel page streams per migration (default: ${DEFAULT-VALUE}).")
  int maxStreams = 64;

  @Option(
      names = "--session-idle-timeout-ms",
      description = "Discard a session that receives nothing for this long (default: ${DEFAULT-VALUE}).")
  long sessionIdleTimeoutMillis = 120_000;

  @Option(
      names = "--allow-test-faults",
      description = "Accept test-only fault injection (corrupting a page on request). Never in production.")
  boolean allowTestFaults;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) throw usage("--port must be 0..65535, not " + port);
    if (maxBatchBytes < 4104 || maxBatchBytes > (64 << 20))
      throw usage("--max-batch-bytes must be between 4104 and 64m, not " + maxBatchBytes);
    if (maxStreams < 1 || maxStreams > 1024) throw usage("--max-streams must be 1..1024");
    if (sessionIdleTimeoutMillis < 100) throw usage("--session-idle-timeout-ms must be >= 100");
    TargetConfig config =
        new TargetConfig(
            allowTestFaults, (int) maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, MachineTuning.defaults());
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "dest-watchdog");
          t.setDaemon(true);
          return t;
        });
    VmHost host = new VmHost(true);
    GrpcServers.Running server =
        GrpcServers.start(
            GrpcServers.Settings.plaintext(bind, port, config.maxBatchBytes() + (1 << 20)),
            TargetServices.create(host, config, scheduler));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("shutting down");
                  server.shutdown(5_000);
                  host.close();
                  scheduler.shutdownNow();
                  stopped.countDown();
                },
                "dest-shutdown"));
    log.info("destination listening on {}:{}", bind, server.port());
    System.out.println("DEST_LISTENING port=" + server.port());
    System.out.flush();
    server.server().awaitTermination();
    stopped.await();
    return 0;
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(new CommandLine(this), message);
  }

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(new CommandLine(new DestNodeMain()).execute(args));
  }
}
