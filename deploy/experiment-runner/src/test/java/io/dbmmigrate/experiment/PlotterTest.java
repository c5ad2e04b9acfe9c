package io.dbmmigrate.experiment;

import io.dbmmigrate.report.TimelineSample;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotterTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private static List<ResultRow> modeRows() {
    List<ResultRow> rows = new ArrayList<>();
    for (String mode : List.of("hw", "sw", "hw-sw"))
      for (String rate : List.of("4", "8", "16"))
        for (int rep = 0; rep < 2; rep++)
          rows.add(TestRows.migration("modes", Map.of("dirtyLog", mode, "dirtyRate", rate), rep,
              Double.parseDouble(rate) * (mode.equals("hw") ? 3 : 1) + rep));
    rows.add(TestRows.failed("modes", Map.of("dirtyLog", "hw", "dirtyRate", "32"), 0));
    return rows;
  }

  /** Number of distinct colours: a blank or single-colour image has 1 or 2. */
  static int colours(Path png) throws Exception {
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(Plotter.WIDTH);
    assertThat(img.getHeight()).isEqualTo(Plotter.HEIGHT);
    Set<Integer> c = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) c.add(img.getRGB(x, y));
    return c.size();
  }

  static void assertDrawn(Plotter.Written w, int series) throws Exception {
    assertThat(w.seriesCount()).isEqualTo(series);
    assertThat(Files.size(w.png())).isGreaterThan(5_000);
    assertThat(colours(w.png())).isGreaterThan(10);
    String svg = Files.readString(w.svg());
    assertThat(svg).contains("<svg").contains("</svg>");
    assertThat(svg.length()).isGreaterThan(5_000);
  }

  @Test
  void xyPlotHasOneLinePerModeAveragedOverRepetitions() throws Exception {
    PlotSpec spec = new PlotSpec("xy", "downtime", "Downtime", "dirtyRate", "downtimeMillis", List.of("dirtyLog"), Map.of(), false, false);
    assertDrawn(Plotter.plot(spec, modeRows(), dir), 3);
  }

  @Test
  void otherVaryingParametersSplitLinesInsteadOfBeingAveraged() {
    List<ResultRow> rows = new ArrayList<>(modeRows());
    rows.add(TestRows.migration("modes", Map.of("dirtyLog", "hw", "dirtyRate", "4", "ram", "2g"), 0, 1));
    PlotSpec spec = new PlotSpec("xy", "d", "D", "dirtyRate", "downtimeMillis", List.of("dirtyLog"), Map.of(), false, false);
    assertThat(Plotter.seriesKeys(spec, Plotter.select(spec, rows))).containsExactly("dirtyLog", "ram");
    PlotSpec filtered = new PlotSpec("xy", "d", "D", "dirtyRate", "downtimeMillis", List.of("dirtyLog"), Map.of("ram", "1g"), false, false);
    assertThat(Plotter.seriesKeys(filtered, Plotter.select(filtered, rows))).containsExactly("dirtyLog");
  }

  @Test
  void downtimePartsStackOneBarPerConditionFromTheRowOutputs() throws Exception {
    PlotSpec spec = new PlotSpec("downtime-parts", "parts", "Parts", null, null, List.of("dirtyLog"), Map.of("dirtyRate", "8"), false, false);
    // one series per part, each with a bar for hw, sw and hw-sw
    assertDrawn(Plotter.plot(spec, modeRows(), dir), Plotter.DOWNTIME_PARTS.size());
    assertThat(modeRows().get(0).number("dtFinalSendMillis")).isPositive();
    assertThat(modeRows().get(0).number("predictionError")).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void roundsPlotShowsOneRepresentativeRunPerMode() throws Exception {
    PlotSpec spec = new PlotSpec("rounds", "sync", "Sync", null, "syncMillis", List.of("dirtyLog"), Map.of("dirtyRate", "8"), false, false);
    assertDrawn(Plotter.plot(spec, modeRows(), dir), 3);
    PlotSpec pages = new PlotSpec("rounds", "pages", "Pages", null, "dirtyPages", List.of("dirtyLog"), Map.of("dirtyRate", "8"), false, true);
    assertDrawn(Plotter.plot(pages, modeRows(), dir), 3);
  }

  @Test
  void timelineMarksTheSwitch() throws Exception {
    PlotSpec spec = new PlotSpec("timeline", "tl", "Writes", null, null, List.of("dirtyLog"), Map.of("dirtyRate", "8"), false, false);
    // three runs + the switch marker (only hw-sw switched) + the pause markers
    assertDrawn(Plotter.plot(spec, modeRows(), dir), 5);
    ResultRow hwsw = TestRows.migration("m", Map.of("dirtyLog", "hw-sw"), 0, 1);
    ResultRow hw = TestRows.migration("m", Map.of("dirtyLog", "hw"), 0, 1);
    assertThat(Plotter.switchMillis(hwsw)).isEqualTo(500.0);
    assertThat(Plotter.switchMillis(hw)).isNull();
    assertThat(Plotter.firstPhaseMillis(hw, "paused")).isEqualTo(750.0);
    // Without an "sw" sample: first "full" sample + sync and send of rounds 0 (0.5 + 10) and 1 (4 + 10).
    ResultRow unsampled =
        new ResultRow(hwsw.key(), "m", "migration", 0, ResultRow.OK, null, "", 0, hwsw.parameters(), hwsw.outputs(),
            hwsw.roundStats(),
            List.of(new TimelineSample(100.0, 1.0, "full"), new TimelineSample(900.0, 0.0, "paused")));
    assertThat(Plotter.switchMillis(unsampled)).isEqualTo(100.0 + 10.5 + 14.0);
  }

  @Test
  void scanPlotAgainstThreads() throws Exception {
    List<ResultRow> rows = new ArrayList<>();
    for (String ram : List.of("4g", "64g"))
      for (String t : List.of("1", "2", "4"))
        rows.add(TestRows.scan("scan", Map.of("ram", ram, "scanThreads", t), 0, 40.0 * Sizes.parseBytes(ram) / (64L << 30) / Integer.parseInt(t)));
    PlotSpec spec = new PlotSpec("xy", "scan", "Scan", "scanThreads", "syncMillis", List.of("ram"), Map.of(), true, true);
    assertDrawn(Plotter.plot(spec, rows, dir), 2);
    PlotSpec two = new PlotSpec("xy", "scan2", "Scan", "scanThreads", "syncMillis,syncMillisMin", List.of("ram"), Map.of(), true, true);
    assertDrawn(Plotter.plot(two, rows, dir), 4);
  }

  @Test
  void aPlotWithoutSuccessfulRunsIsStillWrittenAndSaysSo() throws Exception {
    PlotSpec spec = new PlotSpec("xy", "empty", "Empty", "dirtyRate", "downtimeMillis", List.of(), Map.of(), false, false);
    Plotter.Written w = Plotter.plot(spec, List.of(TestRows.failed("modes", Map.of(), 0)), dir);
    assertThat(w.seriesCount()).isZero();
    assertThat(w.title()).contains("no successful runs");
    assertThat(w.png()).exists();
  }

  @Test
  void columnTitlesCarryUnits() {
    assertThat(Plotter.columnTitle("downtimeMillis")).isEqualTo("downtime (ms)");
    assertThat(Plotter.columnTitle("guestSlowdownPercent")).isEqualTo("guest slowdown (%)");
    assertThat(Plotter.columnTitle("throughputBytesPerSec")).isEqualTo("throughput bytes/s");
    assertThat(Plotter.columnTitle("syncMillisPer64GiB")).isEqualTo("sync per 64 GiB (ms)");
    assertThat(Plotter.columnTitle("syncMillisMin")).isEqualTo("sync min (ms)");
    assertThat(Plotter.columnTitle("syncMillis")).isEqualTo("sync (ms)");
  }

  @Test
  void barsDrawOneSeriesPerColumnThatAnyConditionHas() throws Exception {
    List<ResultRow> rows =
        List.of(
            TestRows.perf("p", Map.of("dirtyLog", "sw"), 0, 60, 1, 3.0, 0),
            TestRows.perf("p", Map.of("dirtyLog", "ring"), 0, 200, 30, null, 0));
    PlotSpec spec = new PlotSpec("bars", "perf", "Perf", null, "dirtyMemoryMillisMean,getLogMillisMean,clearLogMillisMean",
        List.of("dirtyLog"), Map.of(), false, false);
    assertDrawn(Plotter.plot(spec, rows, dir), 3);
    PlotSpec ringOnly = new PlotSpec("bars", "perf-ring", "Perf", null, "dirtyMemoryMillisMean,clearLogMillisMean",
        List.of("dirtyLog"), Map.of("dirtyLog", "ring"), false, false);
    assertDrawn(Plotter.plot(ringOnly, rows, dir), 1); // ring has no separate clear
  }
}
