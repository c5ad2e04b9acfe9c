package io.dbmmigrate.experiment;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child process whose stdout and stderr (merged) go to a log file line by line and are kept in
 * memory so that the runner can wait for a line ("DEST_LISTENING port=N") and quote the tail of
 * the log in an error.
 *
 * <p>Concurrency: one pump thread per process appends to {@code lines} under this object's monitor
 * and notifies; {@link #awaitLine} waits on the monitor. {@code lines} is capped at {@link
 * #MAX_LINES} (older lines dropped, the log file keeps them).
 */
final class ManagedProcess implements AutoCloseable {
  static final int MAX_LINES = 20_000;

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

  static ManagedProcess start(String name, List<String> command, Path log) throws IOException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
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

  long pid() {
    return process.pid();
  }

  /**
   * Waits for a line matching {@code pattern} (from the start of the output).
   *
   * @return the match, or empty when the output ended or the timeout passed first
   */
  Optional<Matcher> awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
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

  /** Waits for exit; true when it exited within the timeout. Also drains the output. */
  boolean waitFor(Duration timeout) throws InterruptedException {
    boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (exited) pump.join(5_000);
    return exited;
  }

  int exitValue() {
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  /** The last {@code n} lines, joined, for error messages. */
  synchronized String tail(int n) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }

  /** SIGTERM, then SIGKILL after {@code grace}. */
  void stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    pump.join(2_000);
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
