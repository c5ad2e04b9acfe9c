package io.dbmmigrate.report;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link MigrationReport} as CSV (the {@code --csv DIR} format): {@code rounds.csv} with one row per
 * round and {@code summary.csv} with one row of the scalar fields (the VM's as {@code vm.*}, the
 * parameters as {@code param.*}). Stateless and thread-safe.
 */
public final class ReportCsv {
  public static final String ROUNDS_FILE = "rounds.csv";
  public static final String SUMMARY_FILE = "summary.csv";

  /** Columns in record-component order, as the records declare them. */
  private final CsvMapper mapper =
      CsvMapper.builder().disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY).build();

  /** Writes both files into dir (created if needed). */
  public void write(MigrationReport report, Path dir) throws IOException {
    Files.createDirectories(dir);
    CsvSchema roundSchema = mapper.schemaFor(RoundRecord.class).withHeader();
    try (SequenceWriter w =
        mapper.writer(roundSchema).writeValues(dir.resolve(ROUNDS_FILE).toFile())) {
      for (RoundRecord r : report.roundStats()) w.write(r);
    }
    Map<String, Object> row = summaryRow(report);
    CsvSchema.Builder b = CsvSchema.builder();
    for (String column : row.keySet()) b.addColumn(column);
    mapper.writer(b.build().withHeader()).writeValue(dir.resolve(SUMMARY_FILE).toFile(), row);
  }

  /** The scalar fields of a report in a fixed column order. */
  static Map<String, Object> summaryRow(MigrationReport r) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("migrationId", r.migrationId());
    row.put("outcome", r.outcome());
    row.put("error", r.error() == null ? "" : r.error());
    row.put("match", r.match());
    row.put("resumed", r.resumed());
    row.put("sourceDigest", r.sourceDigest());
    row.put("destDigest", r.destDigest());
    row.put("dirtyLogMode", r.dirtyLogMode());
    row.put("switchPolicy", r.switchPolicy());
    row.put("rounds", r.rounds());
    row.put("switchRound", r.switchRound());
    row.put("totalMillis", r.totalMillis());
    row.put("setupMillis", r.setupMillis());
    row.put("downtimeMillis", r.downtimeMillis());
    row.put("verifyMillis", r.verifyMillis());
    row.put("bytesSent", r.bytesSent());
    row.put("pagesSent", r.pagesSent());
    row.put("zeroPages", r.zeroPages());
    row.put("guestWritesPerSecBefore", r.guestWritesPerSecBefore());
    row.put("guestWritesPerSecDuring", r.guestWritesPerSecDuring());
    row.put("guestWritesPerSecAfter", r.guestWritesPerSecAfter());
    row.put("maxThrottlePercent", r.maxThrottlePercent());
    row.put("predictedDowntimeMillis", r.predictedDowntimeMillis() == null ? "" : r.predictedDowntimeMillis());
    row.put("predictionError", r.predictionError() == null ? "" : r.predictionError());
    row.put("lostWorkSeconds", r.lostWorkSeconds() == null ? "" : r.lostWorkSeconds());
    // issue 15 (stats): lost-work noise and distributions
    row.put("lostWorkNoiseSeconds", r.lostWorkNoiseSeconds() == null ? "" : r.lostWorkNoiseSeconds());
    percentiles(row, "batchSend", r.batchSendLatency());
    percentiles(row, "syncTime", r.syncTime());
    DowntimeParts p = r.downtimeParts();
    row.put("downtime.pauseMillis", p == null ? "" : p.pauseMillis());
    row.put("downtime.finalSyncMillis", p == null ? "" : p.finalSyncMillis());
    row.put("downtime.finalSyncPtes", p == null ? "" : p.finalSyncPtes());
    row.put("downtime.finalSendMillis", p == null ? "" : p.finalSendMillis());
    row.put("downtime.finalSendPages", p == null ? "" : p.finalSendPages());
    row.put("downtime.finalSendBytes", p == null ? "" : p.finalSendBytes());
    row.put("downtime.vcpuCaptureMillis", p == null ? "" : p.vcpuCaptureMillis());
    row.put("downtime.commitExchangeMillis", p == null ? "" : p.commitExchangeMillis());
    row.put("downtime.destCompletenessMillis", p == null ? "" : p.destCompletenessMillis());
    row.put("downtime.destRestoreMillis", p == null ? "" : p.destRestoreMillis());
    row.put("downtime.destResumeMillis", p == null ? "" : p.destResumeMillis());
    row.put("downtime.unaccountedMillis", p == null ? "" : p.unaccountedMillis());
    row.put("downtime.sourceGcMillis", p == null ? "" : p.sourceGcMillis());
    row.put("downtime.destGcMillis", p == null ? "" : p.destGcMillis());
    GcReport g = r.gc();
    for (String node : new String[] {"source", "dest"})
      for (String phase : new String[] {"setup", "rounds", "downtime", "commit"}) {
        row.put("gc." + node + "." + phase + ".count", g == null ? "" : g.count(node, phase));
        row.put("gc." + node + "." + phase + ".millis", g == null ? "" : g.millis(node, phase));
      }
    row.put("gc.sourceShare", g == null ? "" : g.sourceShare());
    row.put("gc.destShare", g == null ? "" : g.destShare());
    PostcopyReport pc = r.postcopy();
    row.put("postcopy.mode", pc == null ? "" : pc.mode());
    row.put("postcopy.missingAtSwitchover", pc == null ? "" : pc.missingAtSwitchover());
    row.put("postcopy.pagesPushed", pc == null ? "" : pc.pagesPushed());
    row.put("postcopy.pagesRequested", pc == null ? "" : pc.pagesRequested());
    row.put("postcopy.blocktimeMillisTotal", pc == null ? "" : pc.blocktimeMillisTotal());
    row.put("postcopy.blocktimeMillisVcpuSum", pc == null ? "" : pc.blocktimeMillisVcpuSum());
    row.put("postcopy.requestLatencyP50Millis", pc == null ? "" : pc.requestLatencyP50Millis());
    row.put("postcopy.requestLatencyP99Millis", pc == null ? "" : pc.requestLatencyP99Millis());
    row.put("postcopy.requestLatencyMaxMillis", pc == null ? "" : pc.requestLatencyMaxMillis());
    row.put("postcopy.lastPageMillis", pc == null ? "" : pc.lastPageMillis());
    row.put("postcopy.recoveries", pc == null ? "" : pc.recoveries());
    row.put("postcopy.receiptMatch", pc == null ? "" : pc.receiptMatch());
    if (r.vm() != null) {
      row.put("vm.ramBytes", r.vm().ramBytes());
      row.put("vm.romBytes", r.vm().romBytes());
      row.put("vm.vcpus", r.vm().vcpus());
      row.put("vm.backing", r.vm().backing());
      row.put("vm.workload", r.vm().workload());
    }
    r.parameters().forEach((k, v) -> row.put("param." + k, v == null ? "" : String.valueOf(v)));
    return row;
  }

  private static void percentiles(Map<String, Object> row, String prefix, LatencyPercentiles p) {
    row.put(prefix + ".count", p == null ? "" : p.count());
    row.put(prefix + ".p50Millis", p == null ? "" : p.p50Millis());
    row.put(prefix + ".p99Millis", p == null ? "" : p.p99Millis());
    row.put(prefix + ".maxMillis", p == null ? "" : p.maxMillis());
  }
}
