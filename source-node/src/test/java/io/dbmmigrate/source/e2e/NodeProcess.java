package io.dbmmigrate.source.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node (or CLI run) as a real separate JVM: {@code java -cp <this test's class path> <main>
 * args}. Stdout is collected (and watched for a "XXX_LISTENING port=N" line), stderr goes to a log
 * file that failures print. Closing sends SIGTERM, then kills after a grace period.
 */
final class NodeProcess implements AutoCloseable {
  static final String SOURCE_MAIN = "io.dbmmigrate.source.SourceNodeMain";
  static final String DEST_MAIN = "io.dbmmigrate.dest.DestNodeMain";
  private static final Pattern LISTENING = Pattern.compile("^(?!METRICS)[A-Z]+_LISTENING port=(\\d+)$");
  private static final Pattern METRICS = Pattern.compile("^METRICS_LISTENING port=(\\d+)$");

  final String name;
  final Process process;
  final Path stderrLog;
  private final StringBuffer stdout = new StringBuffer();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final CompletableFuture<Integer> metricsPort = new CompletableFuture<>();
  private final Thread reader;

  private NodeProcess(String name, Process process, Path stderrLog) {
    this.name = name;
    this.process = process;
    this.stderrLog = stderrLog;
    this.reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  stdout.append(line).append('\n');
                  Matcher m = LISTENING.matcher(line);
                  if (m.matches()) port.complete(Integer.parseInt(m.group(1)));
                  Matcher mm = METRICS.matcher(line);
                  if (mm.matches()) metricsPort.complete(Integer.parseInt(mm.group(1)));
                }
              } catch (IOException ignored) {
                // process gone
              }
              port.completeExceptionally(new IllegalStateException(name + " exited before listening"));
              metricsPort.completeExceptionally(new IllegalStateException(name + " exited before serving metrics"));
            },
            "stdout-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static NodeProcess start(String name, Path logDir, String mainClass, String heap, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseSerialGC"); // 2 cores shared by several JVMs: keep GC threads out of the way
    cmd.add("-XX:TieredStopAtLevel=1"); // short-lived JVMs: C1 only, less compile CPU on 2 cores
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(logDir);
    Path err = logDir.resolve(name + ".stderr.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
    pb.environment().put("DBM_LOG_LEVEL", "INFO");
    return new NodeProcess(name, pb.start(), err);
  }

  /** The port from the LISTENING line. */
  int awaitPort(long timeoutSeconds) throws Exception {
    try {
      return port.get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + " did not start listening: " + diagnostics(), e);
    }
  }

  /** The port from the METRICS_LISTENING line (--metrics-port). */
  int awaitMetricsPort(long timeoutSeconds) throws Exception {
    try {
      return metricsPort.get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + " did not serve metrics: " + diagnostics(), e);
    }
  }

  /** Waits for the process to exit; returns its exit code. */
  int awaitExit(long timeoutSeconds) throws Exception {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not finish within " + timeoutSeconds + " s: " + diagnostics());
    }
    reader.join(2_000);
    return process.exitValue();
  }

  String stdout() {
    return stdout.toString();
  }

  String diagnostics() {
    String err;
    try {
      List<String> lines = Files.readAllLines(stderrLog);
      err = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      err = "(no stderr log)";
    }
    return "\n--- " + name + " stdout ---\n" + stdout + "\n--- " + name + " stderr (tail) ---\n" + err;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy(); // SIGTERM: exercises the shutdown hooks
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
