package io.dbmmigrate.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportJsonTest {
  static MigrationReport sample() {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("dirtyLog", "hw-sw");
    params.put("streams", 2);
    params.put("maxBandwidth", 1_000_000); // small numbers read back as Integer
    RoundRecord r0 =
        new RoundRecord(0, "full", 1000, 0, 1, 0, 1000, 900, 409_600, 12.5, 0, 3.2e7, 40, 1.5, 1e6, 0);
    RoundRecord r1 =
        new RoundRecord(1, "hw", 40, 0.7, 2, 1000, 40, 0, 163_840, 2.0, 3000, 8e7, 10, 0.5, 9e5, 20);
    return MigrationReport.builder()
        .migrationId("m-1")
        .outcome(MigrationReport.COMPLETED)
        .match(true)
        .resumed(true)
        .sourceDigest("ab")
        .destDigest("ab")
        .dirtyLogMode("hw-sw")
        .switchPolicy("cost")
        .rounds(3)
        .switchRound(1)
        .totalMillis(100.5)
        .setupMillis(3.0)
        .downtimeMillis(12.25)
        .verifyMillis(40.0)
        .bytesSent(600_000)
        .pagesSent(1050)
        .zeroPages(900)
        .guestWritesPerSecBefore(1.1e6)
        .guestWritesPerSecDuring(9e5)
        .guestWritesPerSecAfter(1e6)
        .maxThrottlePercent(20)
        .parameters(params)
        .vm(new VmInfo(64L << 20, 1L << 20, 2, "4k", "random"))
        .roundStats(List.of(r0, r1))
        .timeline(List.of(new TimelineSample(0, 1e6, "full"), new TimelineSample(100, 9e5, "hw")))
        .build();
  }

  @Test
  void roundTripsThroughJson() {
    ReportJson json = new ReportJson();
    MigrationReport report = sample();
    MigrationReport back = json.fromJson(json.toJson(report));
    assertThat(back).usingRecursiveComparison().isEqualTo(report);
  }

  @Test
  void usesTheAgreedFieldNames() throws Exception {
    JsonNode tree = new ObjectMapper().readTree(new ReportJson().toJson(sample()));
    assertThat(tree.fieldNames())
        .toIterable()
        .contains(
            "migrationId", "outcome", "error", "match", "resumed", "sourceDigest", "destDigest",
            "dirtyLogMode", "switchPolicy", "rounds", "switchRound", "totalMillis", "setupMillis",
            "downtimeMillis", "verifyMillis", "bytesSent", "pagesSent", "zeroPages",
            "guestWritesPerSecBefore", "guestWritesPerSecDuring", "guestWritesPerSecAfter",
            "maxThrottlePercent", "parameters", "vm", "roundStats", "timeline");
    assertThat(tree.get("vm").get("backing").asText()).isEqualTo("4k");
    assertThat(tree.get("roundStats").get(1).get("ptesVisited").asLong()).isEqualTo(1000);
    assertThat(tree.get("roundStats").get(1).get("mode").asText()).isEqualTo("hw");
    assertThat(tree.get("timeline").get(1).get("tMillis").asDouble()).isEqualTo(100.0);
    assertThat(tree.get("parameters").get("streams").asInt()).isEqualTo(2);
    assertThat(tree.get("error").isNull()).isTrue();
  }

  static MigrationReport withFidelity() {
    MigrationReport r = sample();
    DowntimeParts parts =
        new DowntimeParts(0.1, 1.5, 1000, 7.25, 40, 163_840, 0.05, 0.4, 0.2, 0.3, 0.6, 0.1, 2.0, 3.0, 1, 0, 0);
    GcReport gc =
        new GcReport(
            List.of(new GcPhaseStats("source", "downtime", 1, 3.0), new GcPhaseStats("dest", "rounds", 2, 9.0)),
            0.01,
            0.02,
            true);
    return r.toBuilder()
        .downtimeMillis(10.5)
        .downtimeParts(parts)
        .predictedDowntimeMillis(8.4)
        .lostWorkSeconds(0.75)
        .lostWorkNoiseSeconds(0.25)
        .gc(gc)
        .batchSendLatency(new LatencyPercentiles(120, 0.25, 4.5, 9.0))
        .syncTime(new LatencyPercentiles(4, 1.5, 7.0, 7.0))
        .build();
  }

  @Test
  void fidelityFieldsRoundTripUnderTheirAgreedNames() throws Exception {
    ReportJson json = new ReportJson();
    MigrationReport report = withFidelity();
    assertThat(json.fromJson(json.toJson(report))).usingRecursiveComparison().isEqualTo(report);
    JsonNode tree = new ObjectMapper().readTree(json.toJson(report));
    assertThat(tree.get("downtimeParts").get("finalSendMillis").asDouble()).isEqualTo(7.25);
    assertThat(tree.get("downtimeParts").get("unaccountedMillis").asDouble()).isEqualTo(0.1);
    assertThat(tree.get("predictedDowntimeMillis").asDouble()).isEqualTo(8.4);
    assertThat(tree.get("lostWorkSeconds").asDouble()).isEqualTo(0.75);
    assertThat(tree.get("batchSendLatency").get("p99Millis").asDouble()).isEqualTo(4.5);
    assertThat(tree.get("syncTime").get("count").asLong()).isEqualTo(4);
    assertThat(tree.get("gc").get("phases").get(0).get("pauseMillis").asDouble()).isEqualTo(3.0);
    assertThat(report.predictionError()).isCloseTo(2.1 / 10.5, org.assertj.core.data.Offset.offset(1e-9));
    // a failed run's report has them as null, not as made-up zeros
    JsonNode plain = new ObjectMapper().readTree(json.toJson(sample()));
    assertThat(plain.get("downtimeParts").isNull()).isTrue();
    assertThat(plain.get("predictedDowntimeMillis").isNull()).isTrue();
  }

  @Test
  void consoleAndCsvShowTheDecompositionAndTheGcPause(@TempDir Path dir) throws Exception {
    String text = new ReportConsole().summary(withFidelity());
    assertThat(text).contains("CONTAINS GC PAUSE", "final send", "unaccounted", "predicted", "lost work", "GC pauses");
    assertThat(text).contains("p50 0.250 / p99 4.500 / max 9.000 ms  (n=120)", "p50 1.500 / p99 7.000", "±0.250");
    new ReportCsv().write(withFidelity(), dir);
    List<String> summary = Files.readAllLines(dir.resolve(ReportCsv.SUMMARY_FILE));
    assertThat(summary.get(0))
        .contains("downtime.finalSendMillis", "downtime.unaccountedMillis", "predictionError", "gc.dest.rounds.millis",
            "batchSend.p99Millis", "syncTime.maxMillis", "lostWorkNoiseSeconds");
  }

  @Test
  void writesAndReadsAFile(@TempDir Path dir) throws Exception {
    ReportJson json = new ReportJson();
    Path file = dir.resolve("sub/report.json");
    json.write(sample(), file);
    assertThat(json.read(file).rounds()).isEqualTo(3);
  }

  @Test
  void csvHasOneRowPerRoundAndASummaryRow(@TempDir Path dir) throws Exception {
    new ReportCsv().write(sample(), dir);
    List<String> rounds = Files.readAllLines(dir.resolve(ReportCsv.ROUNDS_FILE));
    assertThat(rounds).hasSize(3);
    assertThat(rounds.get(0)).startsWith("round,mode,dirtyPages,syncMillis");
    assertThat(rounds.get(2)).startsWith("1,hw,40,");
    List<String> summary = Files.readAllLines(dir.resolve(ReportCsv.SUMMARY_FILE));
    assertThat(summary).hasSize(2);
    assertThat(summary.get(0)).contains("downtimeMillis", "vm.backing", "param.streams");
    assertThat(summary.get(1)).contains("COMPLETED", "hw-sw");
  }

  @Test
  void consoleMarksTheSwitchRoundAndTheResult() {
    ReportConsole console = new ReportConsole();
    assertThat(console.roundTable(sample()).lines())
        .filteredOn(l -> l.contains("switch"))
        .singleElement()
        .asString()
        .contains(" hw ");
    assertThat(console.summary(sample())).contains("match").doesNotContain("MISMATCH");
  }

  @Test
  void consoleSaysNotVerifiedWhenNoDigestsWereCompared() {
    MigrationReport r = sample();
    MigrationReport failed =
        r.toBuilder()
            .outcome(MigrationReport.FAILED)
            .error("destination unreachable")
            .match(false)
            .resumed(false)
            .sourceDigest("")
            .destDigest("")
            .rounds(0)
            .roundStats(List.of())
            .timeline(List.of())
            .build();
    assertThat(new ReportConsole().summary(failed)).contains("not verified").doesNotContain("MISMATCH");
  }
}
