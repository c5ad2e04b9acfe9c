package io.dbmmigrate.source.cli;

import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.proto.v1.CancelRequest;
import io.dbmmigrate.proto.v1.CancelResponse;
import io.dbmmigrate.proto.v1.MigrationControlGrpc;
import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.DowntimeBreakdown;
import io.dbmmigrate.proto.v1.GcPhasePauses;
import io.dbmmigrate.proto.v1.MigrationStatus;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.SetParametersRequest;
import io.dbmmigrate.proto.v1.SetParametersResponse;
import io.dbmmigrate.proto.v1.StartMigrationRequest;
import io.dbmmigrate.proto.v1.StatusRequest;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.source.control.ProtoEvents;
import io.dbmmigrate.source.control.ProtoParams;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.source.transport.Channels;
import io.dbmmigrate.source.transport.GrpcErrors;
import io.dbmmigrate.source.transport.HostPort;
import io.dbmmigrate.util.ByteSize;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A client of a serving node's control API. */
@Command(
    name = "ctl",
    mixinStandardHelpOptions = true,
    description = "Drives a 'serve' node through its MigrationControl API.",
    subcommands = {
      CtlCommand.Start.class,
      CtlCommand.Status.class,
      CtlCommand.Cancel.class,
      CtlCommand.Set.class,
      InspectCommands.DigestCmd.class,
      InspectCommands.CompareCmd.class,
      InspectCommands.DumpCmd.class,
      CtlCommand.Postcopy.class
    })
public final class CtlCommand implements Runnable {
  @Spec CommandSpec spec;

  private static final long UNARY_DEADLINE_MILLIS = 10_000;

  @Override
  public void run() {
    throw Usage.error(spec, "a subcommand is required: start, status, cancel, set, postcopy, digest, compare or dump");
  }

  /** The --control option shared by the subcommands. */
  public static final class Endpoint {
    @Option(names = "--control", required = true, paramLabel = "HOST:PORT", description = "The serving node's endpoint.")
    String control;

    @Mixin TlsOptions tls = new TlsOptions();

    /** A channel to the control endpoint (mutual TLS when the TLS files are given). */
    ManagedChannel open(CommandSpec spec) {
      HostPort hp = parse(spec);
      try {
        return Channels.open(hp, tls.channelCredentials(hp.host()));
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        throw Usage.error(spec, e.getMessage());
      }
    }

    HostPort parse(CommandSpec spec) {
      try {
        return HostPort.parse(control);
      } catch (IllegalArgumentException e) {
        throw Usage.error(spec, "--control: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Starts migrating the node's VM to --target and follows it to the end.",
        "The node's own defaults apply to --warmup-ms, --observe-after-ms, --rpc-timeout-ms and"
            + " --stream-stall-ms. Cancelling this command (Ctrl-C) cancels the migration.",
        "Exit code: 0 on a verified match, 1 otherwise, 2 on bad usage."
      })
  public static final class Start implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Endpoint endpoint;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT", description = "The destination's MigrationTarget endpoint.")
    String target;

    @Mixin MigrationOptions migration;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the report as JSON to FILE.")
    Path reportFile;

    @Option(names = "--csv", paramLabel = "DIR", description = "Write rounds.csv and summary.csv into DIR.")
    Path csvDir;

    @Override
    public Integer call() throws Exception {
      endpoint.parse(spec);
      MigrationSettings settings;
      io.dbmmigrate.source.migration.PostcopySettings postcopy;
      try {
        HostPort.parse(target);
        settings = migration.toSettings();
        postcopy = migration.toPostcopySettings();
      } catch (IllegalArgumentException e) {
        throw Usage.error(spec, e.getMessage());
      }
      ManagedChannel ch = endpoint.open(spec);
      try {
        Iterator<MigrationEvent> events =
            MigrationControlGrpc.newBlockingStub(ch)
                .startMigration(
                    StartMigrationRequest.newBuilder()
                        .setTarget(target)
                        .setParameters(ProtoParams.withPostcopy(ProtoParams.toProto(settings).toBuilder(), postcopy))
                        .build());
        MigrationReport report = null;
        while (events.hasNext()) {
          MigrationEvent e = events.next();
          switch (e.getEventCase()) {
            case PHASE -> System.err.println("[" + e.getPhase().getPhase() + "] " + e.getPhase().getDetail());
            case ROUND -> {
              RoundRecord r = ProtoEvents.fromProto(e.getRound());
              System.err.printf(
                  Locale.ROOT,
                  "round %d %-5s dirty %d, sent %d pages (%.1f MiB) in %.1f ms%n",
                  r.round(), r.mode(), r.dirtyPages(), r.pagesSent(), r.bytesSent() / 1048576.0, r.sendMillis());
            }
            case SUMMARY ->
                report =
                    ProtoEvents.fromProto(
                        e.getSummary(), settings.switchPolicy().label(), settings.asMap(), null, List.of());
            default -> {}
          }
        }
        if (report == null) {
          System.err.println("the control stream ended without a summary");
          return 1;
        }
        ReportOutputs.emit(report, System.out, reportFile, csvDir);
        return report.verified() ? 0 : 1;
      } catch (StatusRuntimeException e) {
        System.err.println("start failed: " + GrpcErrors.describe(e));
        return 1;
      } finally {
        Channels.close(ch);
      }
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Prints the running or last migration's status.")
  public static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Endpoint endpoint;

    @Override
    public Integer call() {
      ManagedChannel ch = endpoint.open(spec);
      try {
        MigrationStatus s =
            MigrationControlGrpc.newBlockingStub(ch)
                .withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .getStatus(StatusRequest.getDefaultInstance());
        System.out.print(text(s));
        return 0;
      } catch (StatusRuntimeException e) {
        System.err.println("status failed: " + GrpcErrors.describe(e));
        return 1;
      } finally {
        Channels.close(ch);
      }
    }
  }

  /** What {@code ctl status} prints for a status answer. */
  static String text(MigrationStatus s) {
    StringBuilder b = new StringBuilder();
    if (s.getActive()) {
      b.append(
          String.format(
              Locale.ROOT, "active: phase %s, round %d, %s sent%n", s.getPhase(), s.getRound(), ByteSize.format(s.getBytesSent())));
      // issue 15 (stats): GC per phase, live
      if (s.getLive().getGcPhasesCount() > 0) {
        b.append("  gc so far:");
        for (GcPhasePauses g : s.getLive().getGcPhasesList())
          b.append(String.format(Locale.ROOT, " %s %d x %.1f ms;", g.getPhase(), g.getPauses(), g.getPauseMillis()));
        b.append(System.lineSeparator());
      }
    } else b.append("active: none").append(System.lineSeparator());
    if (s.hasLastSummary()) {
      MigrationSummary m = s.getLastSummary();
      b.append(
          String.format(
              Locale.ROOT,
              "last: %s %s, match %s, rounds %d, downtime %.1f ms%n",
              m.getMigrationId(),
              m.getOutcome(),
              m.getMatch(),
              m.getRounds(),
              m.getDowntimeMillis()));
      // issue 15 (stats): the downtime's parts
      if (m.hasDowntimeParts()) {
        DowntimeBreakdown d = m.getDowntimeParts();
        b.append(
            String.format(
                Locale.ROOT,
                "  downtime parts: final sync %.2f ms, final send %.2f ms (%d pages), vCPU capture %.2f ms,"
                    + " commit exchange %.2f ms, unaccounted %.2f ms; GC in downtime: source %d x %.2f ms, dest %d x %.2f ms%n",
                d.getFinalSyncMillis(),
                d.getFinalSendMillis(),
                d.getFinalSendPages(),
                d.getVcpuCaptureMillis(),
                d.getCommitExchangeMillis(),
                d.getUnaccountedMillis(),
                d.getSourceGcCount(),
                d.getSourceGcMillis(),
                d.getDestGcCount(),
                d.getDestGcMillis()));
      }
    }
    return b.toString();
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels the running migration (the VM stays on the source).")
  public static final class Cancel implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Endpoint endpoint;

    @Option(names = "--reason", description = "Why (logged and reported).")
    String reason = "cancelled by ctl";

    @Override
    public Integer call() {
      ManagedChannel ch = endpoint.open(spec);
      try {
        CancelResponse r =
            MigrationControlGrpc.newBlockingStub(ch)
                .withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .cancel(CancelRequest.newBuilder().setReason(reason).build());
        System.out.println(
            "cancelled: " + r.getCancelled() + " (phase " + r.getPhase() + ")"
                + (r.getDetail().isEmpty() ? "" : ": " + r.getDetail()));
        return r.getCancelled() ? 0 : 1;
      } catch (StatusRuntimeException e) {
        System.err.println("cancel failed: " + GrpcErrors.describe(e));
        return 1;
      } finally {
        Channels.close(ch);
      }
    }
  }

  @Command(
      name = "postcopy",
      mixinStandardHelpOptions = true,
      description = "Hybrid mode: switch the running migration to post-copy after its current round (QEMU's migrate-start-postcopy).")
  public static final class Postcopy implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Endpoint endpoint;

    @Override
    public Integer call() {
      ManagedChannel ch = endpoint.open(spec);
      try {
        io.dbmmigrate.proto.v1.SwitchToPostcopyResponse r =
            MigrationControlGrpc.newBlockingStub(ch)
                .withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .switchToPostcopy(io.dbmmigrate.proto.v1.SwitchToPostcopyRequest.getDefaultInstance());
        System.out.println("post-copy requested: " + r.getAccepted() + (r.getDetail().isEmpty() ? "" : " (" + r.getDetail() + ")"));
        return r.getAccepted() ? 0 : 1;
      } catch (StatusRuntimeException e) {
        System.err.println("postcopy failed: " + GrpcErrors.describe(e));
        return 1;
      } finally {
        Channels.close(ch);
      }
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true, description = "Changes parameters of the running migration.")
  public static final class Set implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Endpoint endpoint;

    @Option(names = "--max-bandwidth", paramLabel = "BYTES/S", converter = ByteSize.class, description = "New bandwidth cap, 0 = unlimited.")
    Long maxBandwidth;

    @Option(names = "--downtime-limit", paramLabel = "MS", description = "New downtime limit in ms.")
    Long downtimeLimit;

    @Option(names = "--max-rounds", paramLabel = "N", description = "New round limit.")
    Integer maxRounds;

    @Override
    public Integer call() {
      if (maxBandwidth == null && downtimeLimit == null && maxRounds == null)
        throw Usage.error(spec, "give at least one of --max-bandwidth, --downtime-limit, --max-rounds");
      if (downtimeLimit != null && downtimeLimit < 1) throw Usage.error(spec, "--downtime-limit must be >= 1");
      if (maxRounds != null && maxRounds < 1) throw Usage.error(spec, "--max-rounds must be >= 1");
      SetParametersRequest.Builder req = SetParametersRequest.newBuilder();
      if (maxBandwidth != null) req.setMaxBandwidthBytesPerSec(maxBandwidth);
      if (downtimeLimit != null) req.setDowntimeLimitMillis(downtimeLimit);
      if (maxRounds != null) req.setMaxRounds(maxRounds);
      ManagedChannel ch = endpoint.open(spec);
      try {
        SetParametersResponse r =
            MigrationControlGrpc.newBlockingStub(ch)
                .withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .setParameters(req.build());
        System.out.printf(
            Locale.ROOT,
            "max bandwidth %d B/s, downtime limit %d ms, max rounds %d%n",
            r.getParameters().getMaxBandwidthBytesPerSec(),
            r.getParameters().getDowntimeLimitMillis(),
            r.getParameters().getMaxRounds());
        return 0;
      } catch (StatusRuntimeException e) {
        System.err.println("set failed: " + GrpcErrors.describe(e));
        return 1;
      } finally {
        Channels.close(ch);
      }
    }
  }
}
