package io.dbmmigrate.source.nodes;

import io.dbmmigrate.process.ManagedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeoutException;

/**
 * A node (or a CLI run) of the multi-process tests as a real JVM: {@code java -cp <this test's
 * class path> <main> args}, its own heap limit. Built on {@link ManagedProcess}: stdout goes to
 * {@code <name>.out} and memory (watched for the node's LISTENING line), stderr (logs) to {@code
 * <name>.log}, which failures quote. {@link #kill9} is SIGKILL (no shutdown hooks run), as a crash
 * or the OOM killer would do; {@link #close} is SIGTERM, then SIGKILL after a grace period.
 */
public final class NodeProcess implements AutoCloseable {
  public static final String SOURCE_MAIN = "io.dbmmigrate.source.SourceNodeMain";
  public static final String DEST_MAIN = "io.dbmmigrate.dest.DestNodeMain";
  private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(60);

  public final String name;
  private final ManagedProcess process;
  private final Path log;
  private int port = -1; // guarded by this

  private NodeProcess(String name, ManagedProcess process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code mainClass} with {@code args}; does not wait for anything. */
  public static NodeProcess start(Path dir, String name, String heap, String mainClass, List<String> args)
      throws IOException {
    Files.createDirectories(dir);
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(javaCommand(heap, mainClass, args)).redirectError(log.toFile());
    pb.environment().put("DBM_LOG_LEVEL", "INFO");
    return new NodeProcess(name, ManagedProcess.start(name, pb, dir.resolve(name + ".out")), log);
  }

  /** A destination on an ephemeral port, listening when this returns. */
  public static NodeProcess destination(Path dir, String name, String heap, String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of("--port", "0"));
    a.addAll(List.of(args));
    return listening(start(dir, name, heap, DEST_MAIN, a));
  }

  /** A source node ({@code serve} or another command that listens), listening when this returns. */
  public static NodeProcess source(Path dir, String name, String heap, String... args) throws Exception {
    return listening(start(dir, name, heap, SOURCE_MAIN, List.of(args)));
  }

  private static NodeProcess listening(NodeProcess p) throws Exception {
    try {
      p.awaitPort(LISTEN_TIMEOUT.toSeconds());
      return p;
    } catch (AssertionError e) {
      p.process.kill9();
      throw e;
    }
  }

  /** Outcome of a command run to its end. */
  public record Exit(int code, String stdout, String stderr) {}

  /** Runs source-node with args to its end (e.g. {@code migrate}); fails after timeoutMillis. */
  public static Exit runSource(Path dir, String name, String heap, long timeoutMillis, String... args) throws Exception {
    try (NodeProcess p = start(dir, name, heap, SOURCE_MAIN, List.of(args))) {
      if (!p.process.waitFor(Duration.ofMillis(timeoutMillis))) {
        p.process.kill9();
        throw new TimeoutException(name + " still running after " + timeoutMillis + " ms: " + p.logTail(30));
      }
      return new Exit(p.process.exitValue(), p.stdout(), Files.readString(p.log));
    }
  }

  private static List<String> javaCommand(String heap, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    // Short-lived test nodes: start fast (C1 only) and keep GC threads off the 2 shared cores.
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** The port from the LISTENING line; fails (quoting the logs) after timeoutSeconds. */
  public synchronized int awaitPort(long timeoutSeconds) throws InterruptedException {
    if (port < 0) {
      OptionalInt p = process.awaitListening(Duration.ofSeconds(timeoutSeconds));
      if (p.isEmpty()) throw new AssertionError(name + " did not start listening: " + diagnostics());
      port = p.getAsInt();
    }
    return port;
  }

  /** The port from the METRICS_LISTENING line (--metrics-port); fails after timeoutSeconds. */
  public int awaitMetricsPort(long timeoutSeconds) throws InterruptedException {
    var m =
        process.awaitLine(
            java.util.regex.Pattern.compile("^" + io.dbmmigrate.process.ListeningLine.METRICS + "_LISTENING port=(\\d+)$"),
            Duration.ofSeconds(timeoutSeconds));
    if (m.isEmpty()) throw new AssertionError(name + " did not serve metrics: " + diagnostics());
    return Integer.parseInt(m.get().group(1));
  }

  /** The listening port (waits for it like {@link #awaitPort}). */
  public int port() throws InterruptedException {
    return awaitPort(LISTEN_TIMEOUT.toSeconds());
  }

  public String target() throws InterruptedException {
    return "127.0.0.1:" + port();
  }

  public long pid() {
    return process.pid();
  }

  /** Waits for the process to exit on its own; returns its exit code, fails after timeoutSeconds. */
  public int awaitExit(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(Duration.ofSeconds(timeoutSeconds))) {
      process.kill9();
      throw new AssertionError(name + " did not finish within " + timeoutSeconds + " s: " + diagnostics());
    }
    return process.exitValue();
  }

  /** SIGKILL, then wait until the process is gone. */
  public void kill9() throws InterruptedException {
    process.kill9();
  }

  /** SIGSTOP: the process freezes (its sockets stay open, nothing is answered), as a hung host would. */
  public void freeze() throws Exception {
    process.signal("STOP");
  }

  /** SIGCONT after {@link #freeze}. */
  public void thaw() throws Exception {
    process.signal("CONT");
  }

  /** Peak resident set size in KiB, or -1 when unavailable. */
  public long peakRssKib() {
    return process.peakRssKib();
  }

  public String stdout() {
    return String.join("\n", process.lines()) + "\n";
  }

  public boolean logContains(String s) {
    try {
      return Files.readString(log).contains(s);
    } catch (IOException e) {
      return false;
    }
  }

  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stdout and the tail of stderr, for assertion messages. */
  public String diagnostics() {
    return "\n--- " + name + " stdout ---\n" + stdout() + "--- " + name + " stderr (tail) ---\n" + logTail(40);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        thaw(); // a frozen process cannot run its shutdown hooks
      } catch (Exception e) {
        // best effort
      }
    }
    process.close(); // SIGTERM, SIGKILL after a grace period
  }
}
