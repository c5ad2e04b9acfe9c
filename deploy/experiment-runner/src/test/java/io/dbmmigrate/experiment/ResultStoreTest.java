package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultStoreTest {
  @TempDir Path dir;

  @Test
  void rowsSurviveAReloadWithRoundsAndTimeline() throws Exception {
    ResultStore store = new ResultStore(dir);
    ResultRow ok = TestRows.migration("modes", Map.of("dirtyLog", "hw-sw"), 0, 12.5);
    ResultRow bad = TestRows.failed("modes", Map.of("dirtyLog", "sw"), 0);
    ResultRow scan = TestRows.scan("scan", Map.of("ram", "64g"), 0, 40);
    store.put(ok);
    store.put(bad);
    store.put(scan);

    ResultStore again = new ResultStore(dir);
    assertThat(again.load()).isEqualTo(3);
    ResultRow back = again.get(ok.key());
    assertThat(back.ok()).isTrue();
    assertThat(back.parameters()).isEqualTo(ok.parameters());
    assertThat(back.number("downtimeMillis")).isEqualTo(12.5);
    assertThat(back.roundStats()).isEqualTo(ok.roundStats());
    assertThat(back.timeline()).isEqualTo(ok.timeline());
    assertThat(again.get(bad.key()).ok()).isFalse();
    assertThat(again.get(bad.key()).error()).contains("second line");
  }

  @Test
  void csvHasEveryParameterAndOutputAndOneLinePerRun() throws Exception {
    ResultStore store = new ResultStore(dir);
    store.put(TestRows.migration("modes", Map.of("dirtyLog", "hw-sw"), 0, 12.5));
    store.put(TestRows.failed("modes", Map.of("dirtyLog", "sw"), 0));
    List<String> lines = Files.readAllLines(dir.resolve(ResultStore.CSV));
    String header = lines.get(0);
    for (Param p : Param.values()) assertThat(header).contains(p.key());
    for (Outputs.Column c : Outputs.COLUMNS) assertThat(header).contains(c.name());
    // The failed row's error spans two lines inside quotes: 1 header + 2 + 1 physical lines.
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).contains(",ok,").contains("12.5").contains("hw-sw");
    assertThat(lines.get(2)).contains(",failed,\"boom, \"\"quoted\"\"");
    assertThat(Files.readAllLines(dir.resolve(ResultStore.ROUNDS_CSV))).hasSize(1 + 4);
    assertThat(Files.readAllLines(dir.resolve(ResultStore.TIMELINE_CSV))).hasSize(1 + 5);
    assertThat(dir.resolve(ResultStore.JSON)).exists();
  }

  @Test
  void aSuccessfulSyntheticRowIsComplete() {
    assertThat(Outputs.missing(PointKind.MIGRATION, TestRows.migration("m", Map.of("dirtyLog", "hw"), 0, 1).outputs())).isEmpty();
    assertThat(Outputs.missing(PointKind.SCAN, TestRows.scan("s", Map.of(), 0, 1).outputs())).isEmpty();
  }

  @Test
  void distributionColumnsCarryTheReportsPercentiles() throws Exception {
    ResultRow row = TestRows.migration("m", Map.of("dirtyLog", "hw"), 1, 1);
    // TestRows: batch send p50 0.2 + rep, p99 3 + rep, max 5 + rep; sync p99 4 + rep
    assertThat(row.number("batchSendP50Millis")).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(row.number("batchSendP99Millis")).isEqualTo(4.0);
    assertThat(row.number("batchSendMaxMillis")).isEqualTo(6.0);
    assertThat(row.number("batchSendCount")).isEqualTo(100.0);
    assertThat(row.number("syncTimeP99Millis")).isEqualTo(5.0);
    assertThat(row.number("lostWorkNoiseSeconds")).isEqualTo(0.1);
    ResultStore store = new ResultStore(dir);
    store.put(row);
    List<String> lines = Files.readAllLines(dir.resolve(ResultStore.CSV));
    List<String> header = List.of(lines.get(0).split(","));
    List<String> values = List.of(lines.get(1).split(","));
    assertThat(values.get(header.indexOf("batchSendP99Millis"))).isEqualTo("4");
    assertThat(values.get(header.indexOf("syncTimeMaxMillis"))).isEqualTo("5");
  }

  @Test
  void aPurePostcopyRunNeedsNoLastRoundButOthersDo() {
    java.util.Map<String, Object> o = new java.util.HashMap<>(TestRows.migration("m", Map.of("dirtyLog", "hw"), 0, 1).outputs());
    o.remove("lastSyncMillis");
    o.remove("lastDirtyPages");
    o.remove("guestSlowdownPercent");
    assertThat(Outputs.missing(PointKind.MIGRATION, o))
        .containsExactlyInAnyOrder("lastSyncMillis", "lastDirtyPages", "guestSlowdownPercent");
    o.put("postcopy.mode", "hybrid");
    assertThat(Outputs.missing(PointKind.MIGRATION, o)).as("hybrid ran rounds").hasSize(3);
    o.put("postcopy.mode", "postcopy");
    assertThat(Outputs.missing(PointKind.MIGRATION, o)).isEmpty();
    o.remove("totalMillis");
    assertThat(Outputs.missing(PointKind.MIGRATION, o)).containsExactly("totalMillis");
  }
}
