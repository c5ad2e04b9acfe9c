package io.dbmmigrate.experiment;

import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.report.TimelineSample;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The result of one run: its identity and parameters, status, the flat outputs ({@link Outputs}),
 * and the per-round statistics and timeline of a migration.
 *
 * @param status {@code ok} or {@code failed}
 * @param error why a run failed (null when ok)
 * @param startedAt ISO-8601 start time
 * @param wallMillis wall time of the run, process start to stop
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ResultRow(
    String key,
    String experiment,
    String kind,
    int repetition,
    String status,
    String error,
    String startedAt,
    long wallMillis,
    SortedMap<String, String> parameters,
    Map<String, Object> outputs,
    List<RoundRecord> roundStats,
    List<TimelineSample> timeline) {
  static final String OK = "ok";
  static final String FAILED = "failed";

  ResultRow {
    parameters = parameters == null ? new TreeMap<>() : new TreeMap<>(parameters);
    outputs = outputs == null ? new LinkedHashMap<>() : new LinkedHashMap<>(outputs);
    roundStats = roundStats == null ? List.of() : List.copyOf(roundStats);
    timeline = timeline == null ? List.of() : List.copyOf(timeline);
  }

  @JsonIgnore
  boolean ok() {
    return OK.equals(status);
  }

  @JsonIgnore
  PointKind pointKind() {
    return PointKind.parse(kind);
  }

  /** A numeric output, or NaN when absent. */
  double number(String column) {
    if (column.equals("wallMillis")) return wallMillis;
    Object v = outputs.get(column);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  static ResultRow failed(RunPoint p, String startedAt, long wallMillis, String error, Map<String, Object> outputs) {
    return new ResultRow(p.key(), p.experiment(), p.kind().id(), p.repetition(), FAILED, error, startedAt,
        wallMillis, p.parameters(), outputs, null, null);
  }
}
