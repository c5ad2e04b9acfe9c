package io.dbmmigrate.source.failure;

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
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node started as a real JVM process (the test's class path, its own heap limit), ready once it
 * prints its LISTENING line; stderr (logs) goes to a file that {@link #logTail} shows on failure.
 * {@link #kill9} is SIGKILL (no shutdown hooks run), as a crash or the OOM killer would do.
 */
final class NodeProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("^(DEST|SOURCE)_LISTENING port=(\\d+)");

  final String name;
  final Process process;
  final int port;
  final Path log;
  private final StringBuilder stdout; // appended by the reader thread, read under its lock

  private NodeProcess(String name, Process process, int port, Path log, StringBuilder stdout) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.log = log;
    this.stdout = stdout;
  }

  static NodeProcess destination(Path dir, String name, String heap, String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of("--port", "0"));
    a.addAll(List.of(args));
    return start(dir, name, heap, "io.dbmmigrate.dest.DestNodeMain", a);
  }

  static NodeProcess source(Path dir, String name, String heap, String... args) throws Exception {
    return start(dir, name, heap, "io.dbmmigrate.source.SourceNodeMain", List.of(args));
  }

  /** Outcome of a command run to its end. */
  record Exit(int code, String stdout, String stderr) {}

  /** Runs source-node with args to its end (e.g. {@code migrate}); fails after timeoutMillis. */
  static Exit runSource(Path dir, String name, String heap, long timeoutMillis, String... args) throws Exception {
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".log");
    List<String> cmd = javaCommand(heap, "io.dbmmigrate.source.SourceNodeMain", List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new TimeoutException(name + " still running after " + timeoutMillis + " ms: " + tail(err, 30));
    }
    return new Exit(p.exitValue(), Files.readString(out), Files.readString(err));
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

  static NodeProcess start(Path dir, String name, String heap, String mainClass, List<String> args)
      throws Exception {
    Path log = dir.resolve(name + ".log");
    List<String> cmd = javaCommand(heap, mainClass, args);
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = LISTENING.matcher(line);
          if (m.find()) port.complete(Integer.parseInt(m.group(2)));
        }
      } catch (IOException e) {
        // the process went away
      }
      port.completeExceptionally(new IllegalStateException(name + " exited before listening"));
    }, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new NodeProcess(name, p, port.get(60, TimeUnit.SECONDS), log, out);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException(name + " did not start: " + tail(log, 40), e);
    }
  }

  String target() {
    return "127.0.0.1:" + port;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL, then wait until the process is gone. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException(name + " survived SIGKILL");
  }

  /** SIGSTOP: the process freezes (its sockets stay open, nothing is answered), as a hung host would. */
  void freeze() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze}. */
  void thaw() throws Exception {
    signal("CONT");
  }

  private void signal(String sig) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).inheritIO().start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0)
      throw new IllegalStateException("kill -" + sig + " " + pid() + " failed");
  }

  /** Waits for the process to exit on its own; returns its exit code. */
  int awaitExit(long timeoutMillis) throws InterruptedException, TimeoutException {
    if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS))
      throw new TimeoutException(name + " still running after " + timeoutMillis + " ms");
    return process.exitValue();
  }

  /** Peak resident set size in KiB (VmHWM of /proc/PID/status), or -1 when unavailable. */
  long peakRssKib() {
    return procStatusKib(pid(), "VmHWM:");
  }

  static long procStatusKib(long pid, String field) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
        if (l.startsWith(field)) return Long.parseLong(l.substring(field.length()).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  String stdout() {
    synchronized (stdout) {
      return stdout.toString();
    }
  }

  boolean logContains(String s) {
    try {
      return Files.readString(log).contains(s);
    } catch (IOException e) {
      return false;
    }
  }

  String logTail(int lines) {
    return tail(log, lines);
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        thaw(); // a frozen process cannot run its shutdown hooks
      } catch (Exception e) {
        // best effort
      }
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
