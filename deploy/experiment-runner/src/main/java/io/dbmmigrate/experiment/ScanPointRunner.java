package io.dbmmigrate.experiment;

import io.dbmmigrate.process.ManagedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a scan or perf point: the {@link ScanBackend}'s program in a separate JVM, its RESULT lines
 * parsed into the columns of the point's kind.
 */
final class ScanPointRunner implements PointRunner {
  private final PointKind kind;
  private final Launch launch;
  private final ScanBackend backend;

  ScanPointRunner(Launch launch, ScanBackend backend) {
    this(PointKind.SCAN, launch, backend);
  }

  ScanPointRunner(PointKind kind, Launch launch, ScanBackend backend) {
    this.kind = kind;
    this.launch = launch;
    this.backend = backend;
  }

  @Override
  public ResultRow run(RunPoint p, Path runDir) throws InterruptedException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    Map<String, Object> outputs = new LinkedHashMap<>();
    outputs.put("effectiveSeed", p.effectiveSeed());
    String error;
    try {
      Files.createDirectories(runDir);
      try (ManagedProcess proc = ManagedProcess.start(kind.id(), backend.command(p, launch), runDir.resolve(kind.id() + ".log"))) {
        if (!proc.waitFor(Duration.ofSeconds(p.getLong(Param.TIMEOUT_SECONDS)))) {
          proc.stop(Duration.ofSeconds(5));
          error = "timed out after " + p.get(Param.TIMEOUT_SECONDS) + " s; last output:\n" + proc.tail(20);
        } else if (proc.exitValue() != 0) {
          error = kind.id() + " benchmark exited with " + proc.exitValue() + "; last output:\n" + proc.tail(20);
        } else {
          outputs.putAll(backend.parse(p, proc.lines()));
          List<String> missing = Outputs.missing(kind, outputs);
          error = missing.isEmpty() ? null : kind.id() + " output lacks " + missing + "; last output:\n" + proc.tail(20);
        }
      }
    } catch (IOException | RuntimeException e) {
      error = e.toString();
    }
    long wall = (System.nanoTime() - t0) / 1_000_000;
    return new ResultRow(
        p.key(), p.experiment(), p.kind().id(), p.repetition(), error == null ? ResultRow.OK : ResultRow.FAILED,
        error, started.toString(), wall, p.parameters(), outputs, null, null);
  }

  /** Parses "RESULT a=1 b=2" lines into a map (later lines win). */
  static Map<String, String> resultValues(List<String> lines) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : lines) {
      String t = line.trim();
      if (!t.startsWith("RESULT ")) continue;
      for (String kv : t.substring(7).trim().split("\\s+")) {
        int eq = kv.indexOf('=');
        if (eq > 0) values.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return values;
  }

  /** The value of a RESULT key as a number; null when absent, an error naming it when malformed. */
  static Double resultNumber(Map<String, String> v, String key) {
    String s = v.get(key);
    if (s == null) return null;
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("RESULT " + key + "=" + s + " is not a number");
    }
  }

  /** {@link #resultNumber} as a whole number (a count printed as a double). */
  static Long resultWhole(Map<String, String> v, String key) {
    Double d = resultNumber(v, key);
    return d == null ? null : d.longValue();
  }
}
