package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ScanProbeMainTest {
  private static Map<String, String> run(String... args) {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      assertThat(new CommandLine(new ScanProbeMain()).execute(args)).isZero();
    } finally {
      System.setOut(saved);
    }
    return ScanPointRunner.resultValues(Arrays.asList(out.toString(StandardCharsets.UTF_8).split("\n")));
  }

  @Test
  void aHardwareSyncVisitsEveryPteAndFindsEveryDirtyPage() {
    Map<String, String> r = run("--ram", "64m", "--dirty-percent", "1", "--iterations", "2", "--scan-threads", "2");
    assertThat(Long.parseLong(r.get("ptes_visited"))).isEqualTo(16384);
    assertThat(Long.parseLong(r.get("dirty_pages"))).isEqualTo(164);
    assertThat(Double.parseDouble(r.get("sync_ms_median"))).isPositive();
    assertThat(Double.parseDouble(r.get("sw_sync_ms"))).isPositive();
  }

  @Test
  void twoMegabyteBackingIsSplitAndScannedToo() {
    Map<String, String> r = run("--ram", "64m", "--backing", "2m", "--dirty-percent", "0.5", "--iterations", "1");
    assertThat(Long.parseLong(r.get("ptes_visited"))).isEqualTo(16384);
    assertThat(Long.parseLong(r.get("dirty_pages"))).isEqualTo(82);
  }

  /**
   * Every mode's harvest finds exactly the pages written (the probe throws otherwise); the O(dirty)
   * modes touch far fewer entries than the full scan, and only hardware modes time a switch to sw.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"sw", "ring", "hdbss", "combined", "hw-sw"})
  void everyModeHarvestsExactlyTheWrittenPages(String mode) {
    Map<String, String> r = run("--ram", "64m", "--dirty-percent", "1", "--iterations", "2", "--dirty-log", mode);
    assertThat(Long.parseLong(r.get("dirty_pages"))).isEqualTo(164);
    boolean fullScan = mode.equals("hw-sw");
    if (fullScan) assertThat(Long.parseLong(r.get("ptes_visited"))).isEqualTo(16384);
    else if (!mode.equals("combined")) assertThat(Long.parseLong(r.get("ptes_visited"))).isLessThan(16384 / 2);
    assertThat(r.containsKey("sw_sync_ms")).isEqualTo(!mode.equals("sw") && !mode.equals("ring"));
  }
}
