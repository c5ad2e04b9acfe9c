package io.dbmmigrate.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child process (a node, a relay, a tool) whose stdout — with stderr merged in, or stderr to a
 * file of its own — goes to a log file line by line and is kept in memory, so that the caller can
 * wait for a line ({@link #awaitListening}: the node's {@link ListeningLine}) and quote the tail of
 * the output in an error. The one process helper of the experiment runner and the multi-process
 * tests.
 *
 * <p>Concurrency: one pump thread per process appends to {@code lines} under this object's monitor
 * and notifies; {@link #awaitLine} waits on the monitor. {@code lines} is capped at {@link
 * #MAX_LINES} (older lines dropped, the log file keeps them).
 */
public final class ManagedProcess implements AutoCloseable {
  public static final int MAX_LINES = 20_000;

  private final Process process;
  private final String name;
  private final List<String> lines = new ArrayList<>();
  private final Thread pump;
  private boolean ended;

  private ManagedProcess(Process process, String name, Path log) {
    this.process = process;
    this.name = name;
    this.pump = new Thread(() -> pump(log), "out-" + name);
    this.pump.setDaemon(true);
    this.pump.start();
  }

  /** Starts {@code command} with stdout and stderr merged into {@code log}. */
  public static ManagedProcess start(String name, List<String> command, Path log) throws IOException {
    return start(name, new ProcessBuilder(command).redirectErrorStream(true), log);
  }

  /** Starts {@code command}: stdout to {@code stdoutLog} (and memory), stderr to {@code stderrLog}. */
  public static ManagedProcess start(String name, List<String> command, Path stdoutLog, Path stderrLog)
      throws IOException {
    Files.createDirectories(stderrLog.toAbsolutePath().getParent());
    return start(name, new ProcessBuilder(command).redirectError(stderrLog.toFile()), stdoutLog);
  }

  /** Starts {@code pb} (its environment and error redirect as set), stdout pumped into {@code log}. */
  public static ManagedProcess start(String name, ProcessBuilder pb, Path log) throws IOException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    Process p = pb.start();
    p.getOutputStream().close();
    return new ManagedProcess(p, name, log);
  }

  private void pump(Path log) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.write('\n');
        w.flush();
        synchronized (this) {
          if (lines.size() == MAX_LINES) lines.remove(0);
          lines.add(line);
          notifyAll();
        }
      }
    } catch (IOException e) {
      // the process went away; what was read is logged
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  public long pid() {
    return process.pid();
  }

  /**
   * Waits for a line matching {@code pattern} (from the start of the output).
   *
   * @return the match, or empty when the output ended or the timeout passed first
   */
  public Optional<Matcher> awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int next = 0;
    synchronized (this) {
      while (true) {
        for (; next < lines.size(); next++) {
          Matcher m = pattern.matcher(lines.get(next));
          if (m.find()) return Optional.of(m);
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) return Optional.empty();
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  /** The port of the process's {@link ListeningLine}; empty when it ended or timed out first. */
  public OptionalInt awaitListening(Duration timeout) throws InterruptedException {
    return awaitLine(ListeningLine.PATTERN, timeout).map(m -> OptionalInt.of(Integer.parseInt(m.group(2))))
        .orElse(OptionalInt.empty());
  }

  /** Waits for exit; true when it exited within the timeout. Also drains the output. */
  public boolean waitFor(Duration timeout) throws InterruptedException {
    boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (exited) pump.join(5_000);
    return exited;
  }

  public int exitValue() {
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  /** The last {@code n} lines, joined, for error messages. */
  public synchronized String tail(int n) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }

  /** SIGTERM, then SIGKILL after {@code grace}. */
  public void stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    pump.join(2_000);
  }

  /** SIGKILL (no shutdown hooks run, as a crash or the OOM killer), then waits until it is gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException(name + " survived SIGKILL");
  }

  /** Sends a signal by name ("STOP", "CONT") with kill(1). */
  public void signal(String sig) throws IOException, InterruptedException {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).inheritIO().start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0)
      throw new IllegalStateException("kill -" + sig + " " + pid() + " failed");
  }

  /** Peak resident set size in KiB (VmHWM of /proc/PID/status), or -1 when unavailable. */
  public long peakRssKib() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status")))
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.substring(6).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  @Override
  public void close() {
    try {
      stop(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
