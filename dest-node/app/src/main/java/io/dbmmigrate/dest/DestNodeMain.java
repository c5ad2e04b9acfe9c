package io.dbmmigrate.dest;

import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.GuestMemoryExhaustedException;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.net.tls.ServerSecurity;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.net.tls.TransportSecurity;
import io.dbmmigrate.process.ListeningLine;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.wire.GrpcServers;
import io.dbmmigrate.wire.ServerTransport;
import io.dbmmigrate.wire.PageExecutor;
import io.dbmmigrate.wire.TransportTuning;
import java.util.ArrayList;
import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.metrics.MetricsOptions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The destination node: receives one migration at a time, verifies it, resumes the VM. */
@Command(
    name = "dest-node",
    mixinStandardHelpOptions = true,
    version = "dbm-migrate dest-node 0.1.0",
    description = {
      "Receives a live-migrated VM over gRPC, verifies its memory with SHA-256 and resumes it.",
      "Prints 'DEST_LISTENING port=<n>' on stdout once it accepts connections.",
      "Transport: mutual TLS with --tls-cert/--tls-key/--tls-ca (then --allowed-source is required);",
      "plaintext with --plaintext; without either, plaintext only when bound to a loopback address."
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

  @Option(
      names = "--max-guest-bytes",
      converter = ByteSize.class,
      description = "Largest guest a source may ask this node to allocate (default: ${DEFAULT-VALUE} bytes = 256g).")
  long maxGuestBytes = TargetConfig.DEFAULT_MAX_GUEST_BYTES;

  @Option(names = "--max-streams", description = "Most parallel page streams per migration (default: ${DEFAULT-VALUE}).")
  int maxStreams = 64;

  @Option(
      names = "--session-idle-timeout-ms",
      description = "Discard a session that hears nothing (no batch, no heartbeat: a live source sends one every second) for this long (default: ${DEFAULT-VALUE}).")
  long sessionIdleTimeoutMillis = 30_000;

  @Option(
      names = "--max-inflight-bytes",
      converter = ByteSize.class,
      description = {
        "Heap for inbound buffers, node-wide: messages in hand plus the working memory of open page",
        "streams (about 2.5 x the batch size each). Beyond it calls get RESOURCE_EXHAUSTED, and a",
        "BeginSession whose streams x batch size cannot fit is refused (default: half the heap)."
      })
  long maxInflightBytes = InboundBudget.defaultCapacityBytes();

  @Option(
      names = "--max-verify-millis",
      description = {
        "Longest a Commit may hash guest memory (2-6 s per GiB on a loaded 2-core machine, see",
        "docs/RELIABILITY.md); beyond it the session is discarded with DEADLINE_EXCEEDED.",
        "A Commit whose caller cancels or times out stops hashing at once (default: ${DEFAULT-VALUE})."
      })
  long maxVerifyMillis = TargetConfig.DEFAULT_MAX_VERIFY_MILLIS;

  @Option(
      names = "--flow-control-window",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = {
        "HTTP/2 flow-control window this node advertises per stream: what a source may have in flight",
        "to it on one page stream (default: ${DEFAULT-VALUE} bytes = 4m; 64k..256m)."
      })
  long flowControlWindowBytes = TransportTuning.DEFAULT.flowControlWindowBytes();

  @Option(
      names = "--max-frame-size",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = {
        "Largest HTTP/2 frame this node accepts, announced to its sources (SETTINGS_MAX_FRAME_SIZE):",
        "a page batch travels in frames of at most this size (default: ${DEFAULT-VALUE} bytes = 1m;",
        "16k, HTTP/2's default, .. 16m - 1)."
      })
  long maxFrameBytes = TransportTuning.DEFAULT.maxFrameBytes();

  @Option(
      names = "--page-executor",
      paramLabel = "direct|pool",
      converter = PageExecutor.Converter.class,
      description = {
        "Where received page batches are applied: direct (on the Netty event loop that read them, no",
        "hand-off per batch) or pool (gRPC's executor threads). Other calls always run on the pool",
        "(default: ${DEFAULT-VALUE}; direct helped two streams and not one in the transfer benchmark,",
        "see the README)."
      })
  PageExecutor pageExecutor = PageExecutor.DEFAULT;

  @Option(
      names = "--prealloc-ram",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = {
        "Back and map the guest memory of an incoming VM with this much RAM (and the default 2m ROM)",
        "before listening, like a QEMU -incoming with prealloc=on: backing fresh host pages (on the",
        "project's nested test VM ~2 ms per MiB) and faulting them into this process are then paid at",
        "start, not in round 0, and received pages are copied in through the mapping (no system call,",
        "no lock shared between page streams). Serves the first VM of that layout; others get sparse",
        "memory. RSS = SIZE (default: 0, off)."
      })
  long preallocRamBytes;

  @Option(
      names = "--allow-test-faults",
      description = "Accept test-only fault injection (corrupting a page on request). Never in production.")
  boolean allowTestFaults;

  @Option(
      names = "--accept-replace",
      description = {
        "Let an incoming migration replace (destroy) a VM this node hosts and runs. Off by default:",
        "a node that hosts a VM answers BeginSession with FAILED_PRECONDITION naming that VM."
      })
  boolean acceptReplace;

  @Spec CommandSpec spec;

  @Mixin TlsOptions tls = new TlsOptions();

  @Option(
      names = "--allowed-source",
      paramLabel = "IDENTITY",
      description = {
        "Source identity allowed to send a VM (repeatable): cn:NAME, uri:URI, dns:NAME, NAME (CN or URI SAN),",
        "or '*' for any certificate from the CA. Required with mutual TLS; others get PERMISSION_DENIED."
      })
  List<String> allowedSources = new ArrayList<>();

  @CommandLine.Mixin MetricsOptions metrics = new MetricsOptions();

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) throw usage("--port must be 0..65535, not " + port);
    if (maxBatchBytes < 4104 || maxBatchBytes > (64 << 20))
      throw usage("--max-batch-bytes must be between 4104 and 64m, not " + maxBatchBytes);
    if (maxGuestBytes < (2L << 20)) throw usage("--max-guest-bytes must be at least 2m, not " + maxGuestBytes);
    if (maxStreams < 1 || maxStreams > 1024) throw usage("--max-streams must be 1..1024");
    if (sessionIdleTimeoutMillis < 100) throw usage("--session-idle-timeout-ms must be >= 100");
    if (maxInflightBytes < (1L << 20)) throw usage("--max-inflight-bytes must be at least 1m, not " + maxInflightBytes);
    if (maxVerifyMillis < 1) throw usage("--max-verify-millis must be positive");
    if (flowControlWindowBytes < (64 << 10) || flowControlWindowBytes > (256 << 20))
      throw usage("--flow-control-window must be between 64k and 256m, not " + flowControlWindowBytes);
    if (maxFrameBytes < (16 << 10) || maxFrameBytes > (1 << 24) - 1)
      throw usage("--max-frame-size must be between 16k and 16m - 1, not " + maxFrameBytes);
    if (preallocRamBytes < 0 || preallocRamBytes % GuestMemory.PAGE_SIZE != 0 || preallocRamBytes > maxGuestBytes)
      throw usage("--prealloc-ram must be a multiple of 4k up to --max-guest-bytes, not " + preallocRamBytes);
    ServerSecurity security;
    try {
      security = ServerSecurity.decide(tls, bind, allowedSources, List.of());
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw usage(e.getMessage());
    }
    TransportSecurity.Mode mode = security.mode();
    TargetConfig config =
        new TargetConfig(
            allowTestFaults, (int) maxBatchBytes, maxStreams, sessionIdleTimeoutMillis, MachineTuning.defaults(),
            maxGuestBytes, maxInflightBytes, maxVerifyMillis, TargetConfig.DEFAULT_MIN_WARM_UP_BYTES);
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "dest-watchdog");
          t.setDaemon(true);
          return t;
        });
    VmHost host = newHost();
    PreallocatedRam preallocated = preallocate();
    TargetServices.Target target =
        TargetServices.create(
            host, config, GuestCapacity.mappedGuest(config.maxInflightBytes()), scheduler, System::nanoTime,
            preallocated);
    List<io.grpc.BindableService> services = target.services();
    GrpcServers.Running server =
        GrpcServers.start(
            ServerTransport.netty(
                TransportTuning.DEFAULT
                    .withFlowControlWindow((int) flowControlWindowBytes)
                    .withMaxFrameBytes((int) maxFrameBytes),
                pageExecutor),
            new GrpcServers.Settings(
                bind, port, config.maxInboundMessageBytes(), security.credentials(), security.interceptors()),
            services);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("shutting down");
                  server.shutdown(5_000);
                  host.close();
                  preallocated.close();
                  scheduler.shutdownNow();
                  stopped.countDown();
                },
                "dest-shutdown"));
    if (mode == TransportSecurity.Mode.PLAINTEXT_LOOPBACK)
      log.warn("plaintext on loopback {} (no TLS files given): only processes on this host can connect", bind);
    else if (mode == TransportSecurity.Mode.PLAINTEXT_EXPLICIT)
      log.warn("plaintext as asked (--plaintext): anyone who reaches {}:{} can send a VM", bind, server.port());
    log.info("destination listening on {}:{} ({}{}{})", bind, server.port(), mode,
        allowedSources.isEmpty() ? "" : ", allowed sources: " + String.join(", ", allowedSources),
        acceptReplace ? ", an incoming migration may replace a hosted VM" : "");
    System.out.println(ListeningLine.format("DEST", server.port()));
    System.out.flush();
    metrics.start(
        "dest", GcPauseRecorder.start(System::nanoTime), registry -> ReceiverMetrics.bind(registry, target.receiver()));
    server.server().awaitTermination();
    stopped.await();
    return 0;
  }

  /** The memory of --prealloc-ram, backed now (none without the option). */
  private PreallocatedRam preallocate() {
    if (preallocRamBytes == 0) return PreallocatedRam.none();
    VmSpec layout =
        new VmSpec(preallocRamBytes, DEFAULT_ROM_BYTES, 1, BackingPageSize.SIZE_4K, "idle", 0, MachineTuning.defaults());
    try {
      return PreallocatedRam.allocate(
          layout.slots(), ChunkedGuestMemory.defaultBackingDir(), Runtime.getRuntime().availableProcessors());
    } catch (GuestMemoryExhaustedException e) {
      throw usage("--prealloc-ram: " + e.getMessage());
    }
  }

  /** The ROM size --prealloc-ram assumes: the source's default ({@code --rom 2m}). */
  private static final long DEFAULT_ROM_BYTES = 2L << 20;

  /** The node's VM host: it refuses to replace a hosted VM unless --accept-replace was given. */
  VmHost newHost() {
    return new VmHost(acceptReplace ? VmHost.ReplacePolicy.ACCEPT_REPLACE : VmHost.ReplacePolicy.REFUSE);
  }

  private CommandLine.ParameterException usage(String message) {
    // The spec's CommandLine is the one execute() runs, so the message goes to its configured err.
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  public static void main(String[] args) {
    io.dbmmigrate.net.NettyDefaults.apply(); // before any Netty class loads
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(new CommandLine(new DestNodeMain()).execute(args));
  }
}
