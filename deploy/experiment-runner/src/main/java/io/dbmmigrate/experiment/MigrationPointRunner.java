package io.dbmmigrate.experiment;

import io.dbmmigrate.report.MigrationReport;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dbmmigrate.net.relay.Relay;
import io.dbmmigrate.process.ManagedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a migration point as two real processes.
 *
 * <p>{@code testbed: local}: destination and source on loopback, started by this runner; the link
 * rate becomes the source's {@code --max-bandwidth}; RTT and jitter go through an in-process
 * {@link Relay} (one-way delay = RTT / 2 each way); loss is not possible on loopback and fails the
 * point with a message saying to use the netns testbed.
 *
 * <p>{@code testbed: netns}: {@code deploy/netns/testbed.sh run}, which builds the namespaces,
 * shapes the link (tc, netem or relay, nftables), runs both nodes inside and removes everything;
 * it needs root and says so.
 */
final class MigrationPointRunner implements PointRunner {
  private static final Pattern TESTBED_LINK =
      Pattern.compile("^TESTBED_LINK .*rate_via=(\\S+) .*latency_via=(\\S+) .*loss_via=(\\S+)");

  private final Launch launch;
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicInteger netnsSeq = new AtomicInteger();

  MigrationPointRunner(Launch launch) {
    this.launch = launch;
  }

  @Override
  public ResultRow run(RunPoint p, Path runDir) throws InterruptedException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(runDir);
      Files.deleteIfExists(runDir.resolve("report.json"));
      Outcome o =
          p.get(Param.TESTBED).equals("netns") ? runNetns(p, runDir) : runLocal(p, runDir);
      long wall = (System.nanoTime() - t0) / 1_000_000;
      return toRow(p, started, wall, o, runDir);
    } catch (IOException | RuntimeException e) {
      long wall = (System.nanoTime() - t0) / 1_000_000;
      return ResultRow.failed(p, started.toString(), wall, e.toString(), Map.of("effectiveSeed", p.effectiveSeed()));
    }
  }

  /** What a migration process left behind. */
  private record Outcome(Integer exitCode, boolean timedOut, String logTail, RowBuilder.LinkVia via, String setupError) {}

  private Outcome runLocal(RunPoint p, Path runDir) throws IOException, InterruptedException {
    if (p.getDouble(Param.LOSS_PERCENT) > 0)
      return new Outcome(null, false, "", RowBuilder.LinkVia.NONE,
          "lossPercent > 0 needs testbed: netns (packet loss cannot be emulated on loopback)");
    Duration timeout = Duration.ofSeconds(p.getLong(Param.TIMEOUT_SECONDS));
    try (ManagedProcess dest =
        ManagedProcess.start(
            "dest",
            launch.dest(JavaCommand.splitOptions(p.get(Param.DEST_JVM_OPTS)))
                .command(List.of("--port", "0", "--bind", "127.0.0.1")),
            runDir.resolve("dest.log"))) {
      OptionalInt listening = dest.awaitListening(Duration.ofSeconds(60));
      if (listening.isEmpty())
        return new Outcome(null, false, dest.tail(20), RowBuilder.LinkVia.NONE,
            "destination did not print DEST_LISTENING within 60 s");
      int destPort = listening.getAsInt();
      double rtt = p.getDouble(Param.RTT_MILLIS);
      double jitter = p.getDouble(Param.JITTER_MILLIS);
      Relay relay = null;
      String target = "127.0.0.1:" + destPort;
      String latencyVia = "none";
      if (rtt > 0 || jitter > 0) {
        relay = Relay.start(0, "127.0.0.1", destPort, 0, 0);
        relay.setDelayMicros(Math.round(rtt * 500), Math.round(jitter * 1000));
        target = "127.0.0.1:" + relay.port();
        latencyVia = "relay";
      }
      long rate = Sizes.parseRateBytesPerSec(p.get(Param.LINK_RATE));
      RowBuilder.LinkVia via = new RowBuilder.LinkVia(rate > 0 ? "max-bandwidth" : "none", latencyVia, "none");
      try (ManagedProcess source =
          ManagedProcess.start(
              "source",
              launch.source(JavaCommand.splitOptions(p.get(Param.SOURCE_JVM_OPTS)))
                  .command(SourceArgs.migrate(p, target, rate, runDir.resolve("report.json"), runDir.resolve("csv"))),
              runDir.resolve("source.log"))) {
        boolean exited = source.waitFor(timeout);
        if (!exited) {
          source.stop(Duration.ofSeconds(5));
          return new Outcome(null, true, source.tail(20), via, null);
        }
        return new Outcome(source.exitValue(), false, source.tail(20), via, null);
      } finally {
        if (relay != null) relay.close();
      }
    }
  }

  private Outcome runNetns(RunPoint p, Path runDir) throws IOException, InterruptedException {
    if (launch.testbedScript() == null || !Files.isRegularFile(launch.testbedScript()))
      return new Outcome(null, false, "", RowBuilder.LinkVia.NONE,
          "testbed: netns needs deploy/netns/testbed.sh (--testbed-script), not found: " + launch.testbedScript());
    Duration timeout = Duration.ofSeconds(p.getLong(Param.TIMEOUT_SECONDS) + 60);
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add(launch.testbedScript().toString());
    cmd.add("run");
    cmd.add("--name");
    cmd.add(netnsName());
    cmd.add("--rate");
    cmd.add(p.get(Param.LINK_RATE));
    cmd.add("--rtt-ms");
    cmd.add(p.get(Param.RTT_MILLIS));
    cmd.add("--jitter-ms");
    cmd.add(p.get(Param.JITTER_MILLIS));
    cmd.add("--loss-pct");
    cmd.add(p.get(Param.LOSS_PERCENT));
    cmd.add("--log-dir");
    cmd.add(runDir.toAbsolutePath().toString());
    cmd.add("--source-jvm-opts");
    cmd.add(p.get(Param.SOURCE_JVM_OPTS));
    cmd.add("--dest-jvm-opts");
    cmd.add(p.get(Param.DEST_JVM_OPTS));
    cmd.addAll(launch.testbedProgramArgs());
    cmd.add("--");
    List<String> migrate =
        SourceArgs.migrate(p, null, -1, runDir.resolve("report.json").toAbsolutePath(), runDir.resolve("csv").toAbsolutePath());
    cmd.addAll(migrate.subList(1, migrate.size())); // the script adds "migrate --target"
    try (ManagedProcess testbed = ManagedProcess.start("testbed", cmd, runDir.resolve("testbed.log"))) {
      boolean exited = testbed.waitFor(timeout);
      RowBuilder.LinkVia via = RowBuilder.LinkVia.NONE;
      for (String line : testbed.lines()) {
        Matcher m = TESTBED_LINK.matcher(line);
        if (m.find()) via = new RowBuilder.LinkVia(m.group(1), m.group(2), m.group(3));
      }
      if (!exited) {
        testbed.stop(Duration.ofSeconds(30)); // SIGTERM: the script's trap tears the testbed down
        return new Outcome(null, true, testbed.tail(20), via, null);
      }
      return new Outcome(testbed.exitValue(), false, testbed.tail(20), via, null);
    }
  }

  /** Unique per runner process and run, at most 10 characters ([a-z][a-z0-9]*). */
  private String netnsName() {
    String pid = Long.toString(ProcessHandle.current().pid() % 46_656L, 36);
    return "dx" + pid + Integer.toString(netnsSeq.incrementAndGet() % 1_296, 36);
  }

  private ResultRow toRow(RunPoint p, Instant started, long wall, Outcome o, Path runDir) throws IOException {
    Path reportFile = runDir.resolve("report.json");
    MigrationReport report = null;
    String parseError = null;
    if (Files.isRegularFile(reportFile)) {
      try {
        report = json.readValue(reportFile.toFile(), MigrationReport.class);
      } catch (IOException e) {
        parseError = "unreadable report " + reportFile + ": " + e.getMessage();
      }
    }
    Map<String, Object> outputs =
        report != null
            ? RowBuilder.migrationOutputs(p, report, o.via())
            : new java.util.LinkedHashMap<>(Map.of("effectiveSeed", p.effectiveSeed()));
    String error = null;
    if (o.setupError() != null) error = o.setupError();
    else if (o.timedOut()) error = "timed out after " + p.get(Param.TIMEOUT_SECONDS) + " s; last output:\n" + o.logTail();
    else if (o.exitCode() == null || o.exitCode() != 0)
      error = "source exited with " + o.exitCode()
          + (report != null && report.error() != null ? ": " + report.error() : "") + "; last output:\n" + o.logTail();
    else if (report == null) error = parseError != null ? parseError : "source exited 0 but wrote no report";
    else if (!report.verified())
      error = "outcome " + report.outcome() + ", match " + report.match() + (report.error() != null ? ": " + report.error() : "");
    if (error == null) {
      List<String> missing = Outputs.missing(PointKind.MIGRATION, outputs);
      if (!missing.isEmpty()) error = "report lacks " + missing;
    }
    return new ResultRow(
        p.key(), p.experiment(), p.kind().id(), p.repetition(), error == null ? ResultRow.OK : ResultRow.FAILED,
        error, started.toString(), wall, p.parameters(), outputs,
        report != null ? report.roundStats() : null, report != null ? report.timeline() : null);
  }
}
