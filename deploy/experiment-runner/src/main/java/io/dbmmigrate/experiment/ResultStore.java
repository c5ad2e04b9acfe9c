package io.dbmmigrate.experiment;

import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of a sweep on disk: {@code results.json} (the record, read back on resume), and
 * {@code results.csv} (one row per run, every parameter and every flat output), {@code rounds.csv}
 * (one row per run and round) and {@code timeline.csv} (one row per run and sample), rewritten
 * after every run so that an interrupted sweep keeps what it finished. Files are replaced
 * atomically (write to a temporary file, then move).
 *
 * <p>Not thread-safe: the sweep runner calls it from one thread.
 */
final class ResultStore {
  static final String JSON = "results.json";
  static final String CSV = "results.csv";
  static final String ROUNDS_CSV = "rounds.csv";
  static final String TIMELINE_CSV = "timeline.csv";

  /** The JSON document. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Document(String spec, boolean quick, String description, List<ResultRow> rows) {}

  private final Path dir;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final Map<String, ResultRow> rows = new LinkedHashMap<>();
  private String spec = "";
  private boolean quick;
  private String description = "";

  ResultStore(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /** Reads results.json when present (resume); returns the number of rows read. */
  int load() throws IOException {
    Path f = dir.resolve(JSON);
    if (!Files.exists(f)) return 0;
    Document d = json.readValue(f.toFile(), Document.class);
    rows.clear();
    if (d.rows() != null) for (ResultRow r : d.rows()) rows.put(r.key(), r);
    return rows.size();
  }

  void describe(SweepSpec sweep) {
    this.spec = sweep.name();
    this.quick = sweep.quick();
    this.description = sweep.description();
  }

  ResultRow get(String key) {
    return rows.get(key);
  }

  List<ResultRow> rows() {
    return new ArrayList<>(rows.values());
  }

  /** Adds or replaces the row with the same key, and rewrites every file. */
  void put(ResultRow row) throws IOException {
    rows.put(row.key(), row);
    save();
  }

  void save() throws IOException {
    Files.createDirectories(dir);
    List<ResultRow> list = rows();
    atomicWrite(JSON, w -> json.writeValue(w, new Document(spec, quick, description, list)));
    atomicWrite(CSV, w -> writeResultsCsv(w, list));
    atomicWrite(ROUNDS_CSV, w -> writeRoundsCsv(w, list));
    atomicWrite(TIMELINE_CSV, w -> writeTimelineCsv(w, list));
  }

  static List<String> resultsHeader() {
    List<String> h = new ArrayList<>(List.of("key", "experiment", "kind", "repetition", "status", "error", "startedAt", "wallMillis"));
    for (Param p : Param.values()) h.add(p.key());
    for (Outputs.Column c : Outputs.COLUMNS) h.add(c.name());
    return h;
  }

  static void writeResultsCsv(Writer w, List<ResultRow> list) throws IOException {
    Csv.line(w, resultsHeader());
    for (ResultRow r : list) {
      List<Object> f = new ArrayList<>(List.of(r.key(), r.experiment(), r.kind(), r.repetition(), r.status()));
      f.add(r.error());
      f.add(r.startedAt());
      f.add(r.wallMillis());
      for (Param p : Param.values()) f.add(r.parameters().get(p.key()));
      for (Outputs.Column c : Outputs.COLUMNS) f.add(r.outputs().get(c.name()));
      Csv.line(w, f);
    }
  }

  static void writeRoundsCsv(Writer w, List<ResultRow> list) throws IOException {
    List<String> h = new ArrayList<>(List.of("key", "experiment", "repetition", "dirtyLog", "round", "mode", "scanThreads"));
    h.addAll(Outputs.ROUND_FIELDS);
    Csv.line(w, h);
    for (ResultRow r : list) {
      for (RoundRecord s : r.roundStats()) {
        Csv.line(
            w,
            java.util.Arrays.asList(
                r.key(), r.experiment(), r.repetition(), r.parameters().get(Param.DIRTY_LOG.key()), s.round(),
                s.mode(), s.scanThreads(), s.dirtyPages(), s.syncMillis(), s.ptesVisited(), s.pagesSent(),
                s.bytesSent(), s.sendMillis(), s.dirtyRatePagesPerSec(), s.throughputBytesPerSec(),
                s.remainingPages(), s.estimatedDowntimeMillis(), s.guestWritesPerSec(), s.throttlePercent()));
      }
    }
  }

  static void writeTimelineCsv(Writer w, List<ResultRow> list) throws IOException {
    Csv.line(w, List.of("key", "experiment", "repetition", "dirtyLog", "tMillis", "guestWritesPerSec", "phase"));
    for (ResultRow r : list)
      for (TimelineSample t : r.timeline())
        Csv.line(
            w,
            java.util.Arrays.asList(
                r.key(), r.experiment(), r.repetition(), r.parameters().get(Param.DIRTY_LOG.key()), t.tMillis(),
                t.guestWritesPerSec(), t.phase()));
  }

  @FunctionalInterface
  private interface WriterBody {
    void write(Writer w) throws IOException;
  }

  private void atomicWrite(String name, WriterBody body) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      body.write(w);
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
