package io.dbmmigrate.source.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.source.nodes.NodeProcess;
import io.dbmmigrate.report.ReportJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus endpoints of both nodes, scraped while a real migration runs between two JVMs
 * (issue 15 item 5): the source's query-migrate gauges move (bytes transferred grow, the phase is
 * ROUNDS), the destination's received pages grow, and the migration still verifies, with the
 * destination's timings and pauses in its report.
 */
class MetricsIT {
  private static final Path LOGS = MigrationEndToEndIT.LOGS;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private String scrape(int port) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The value of the first sample of {@code name} (any labels). */
  static OptionalDouble value(String body, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(body);
    return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(2))) : OptionalDouble.empty();
  }

  @Test
  void bothNodesExposeLiveStatisticsDuringAMigration() throws Exception {
    Path report = LOGS.resolve("metrics.json");
    Files.deleteIfExists(report);
    try (NodeProcess dest =
        NodeProcess.start(
            LOGS, "metrics-dest", "512m", NodeProcess.DEST_MAIN, List.of("--port", "0", "--metrics-port", "0"))) {
      int destPort = dest.awaitPort(180); // generous: JVM start on a shared, loaded 2-core machine
      int destMetrics = dest.awaitMetricsPort(60);
      // 64 MiB of incompressible pages at 8 MB/s: round 0 alone takes about 8 s; the guest dirties
      // more than the cap carries, so --max-rounds 2 ends it (forced stop) instead of 30 rounds
      NodeProcess src =
          NodeProcess.start(
              LOGS,
              "metrics-source",
              "512m",
              NodeProcess.SOURCE_MAIN,
              List.of(
                  "migrate", "--target", "127.0.0.1:" + destPort, "--no-progress", "--report", report.toString(),
                  "--ram", "64m", "--prefill", "1", "--max-bandwidth", "8m", "--warmup-ms", "200",
                  "--observe-after-ms", "200", "--max-rounds", "2", "--metrics-port", "0"));
      try (src) {
        int srcMetrics = src.awaitMetricsPort(180);
        await()
            .atMost(Duration.ofSeconds(300))
            .ignoreExceptions()
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () -> {
                  String s = scrape(srcMetrics);
                  assertThat(value(s, "dbm_migration_active")).hasValue(1.0);
                  assertThat(value(s, "dbm_migration_phase")).hasValue(1.0); // ROUNDS
                  assertThat(value(s, "dbm_migration_transferred_bytes").orElse(0)).isGreaterThan(1 << 20);
                  assertThat(s).contains("dbm_gc_pauses_total{node=\"source\"}");
                  // GC per phase, live: a number (not NaN) for the phase the migration is in
                  assertThat(s).containsPattern("(?m)^dbm_migration_gc_phase_pauses\\{[^}]*phase=\"rounds\"[^}]*\\} [0-9.]+$");
                });
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () -> {
                  String d = scrape(destMetrics);
                  assertThat(value(d, "dbm_receiver_active")).hasValue(1.0);
                  assertThat(value(d, "dbm_receiver_pages_applied").orElse(0)).isPositive();
                  assertThat(d).contains("dbm_gc_pause_seconds_total{node=\"dest\"}");
                });
        int code = src.awaitExit(600);
        assertThat(code).as("source exit code" + src.diagnostics()).isZero();
      }
      MigrationReport r = new ReportJson().read(report);
      assertThat(r.verified()).isTrue();
      assertThat(r.downtimeParts()).isNotNull();
      assertThat(r.gc().destReported()).isTrue();
    }
  }
}
