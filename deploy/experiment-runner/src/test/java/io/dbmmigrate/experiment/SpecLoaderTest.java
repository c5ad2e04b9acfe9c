package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpecLoaderTest {
  static final String SPEC =
      """
      name: demo
      description: a demo
      defaults: {vcpus: 2, ram: 1024m}
      experiments:
        - name: modes
          set: {workload: random}
          grid:
            dirtyRate: [4, 8.0]
            dirtyLog: [hw, sw, HW-SW]
          repetitions: 2
          plots:
            - {type: xy, name: downtime, x: dirtyRate, y: downtimeMillis, series: dirtyLog}
            - {type: rounds, name: rounds, y: syncMillis, series: [dirtyLog]}
            - {type: timeline, name: tl, where: {dirtyRate: 8}}
        - name: scan
          kind: scan
          grid: {scanThreads: [1, 2]}
          plots:
            - {type: xy, name: hwsw, x: scanThreads, y: [syncMillis, swSyncMillis]}
      quick:
        defaults: {ram: 256m}
        experiments:
          - name: modes
            grid: {dirtyLog: [hw, hw-sw]}
      """;

  private final SpecLoader loader = new SpecLoader();

  @Test
  void readsTheFullSectionWithNormalizedValues() throws Exception {
    SweepSpec s = loader.parse(SPEC, false);
    assertThat(s.name()).isEqualTo("demo");
    assertThat(s.quick()).isFalse();
    assertThat(s.defaults()).containsEntry("ram", "1g").containsEntry("vcpus", "2");
    assertThat(s.experiments()).hasSize(2);
    ExperimentSpec modes = s.experiments().get(0);
    assertThat(modes.kind()).isEqualTo(PointKind.MIGRATION);
    assertThat(modes.grid().get("dirtyRate")).containsExactly("4", "8");
    assertThat(modes.grid().get("dirtyLog")).containsExactly("hw", "sw", "hw-sw");
    assertThat(modes.fixed()).containsEntry("workload", "random");
    assertThat(modes.repetitions()).isEqualTo(2);
    assertThat(modes.runCount()).isEqualTo(12);
    assertThat(modes.plots()).extracting(PlotSpec::type).containsExactly("xy", "rounds", "timeline");
    assertThat(modes.plots().get(0).series()).containsExactly("dirtyLog");
    assertThat(modes.plots().get(2).where()).containsEntry("dirtyRate", "8");
    assertThat(s.experiments().get(1).kind()).isEqualTo(PointKind.SCAN);
    assertThat(s.experiments().get(1).plots().get(0).yColumns()).containsExactly("syncMillis", "swSyncMillis");
    assertThat(s.runCount()).isEqualTo(14);
  }

  @Test
  void quickMergesDefaultsAndReplacesExperiments() throws Exception {
    SweepSpec s = loader.parse(SPEC, true);
    assertThat(s.quick()).isTrue();
    assertThat(s.defaults()).containsEntry("ram", "256m").containsEntry("vcpus", "2");
    assertThat(s.experiments()).extracting(ExperimentSpec::name).containsExactly("modes");
    assertThat(s.runCount()).isEqualTo(2);
  }

  @Test
  void rejectsMistakesWithTheirLocation() {
    assertThatThrownBy(() -> loader.parse("name: x\nexperimnts: []\n", false))
        .hasMessageContaining("unknown key 'experimnts'");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, grid: {dirtyrate: [1]}}\n", false))
        .hasMessageContaining("unknown parameter 'dirtyrate'");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, grid: {dirtyLog: [hw, turbo]}}\n", false))
        .hasMessageContaining("dirtyLog").hasMessageContaining("turbo");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, kind: scan, grid: {dirtyRate: [8]}}\n", false))
        .hasMessageContaining("does not apply to scan points");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, kind: perf, grid: {ram: [1g]}}\n", false))
        .hasMessageContaining("does not apply to perf points");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, grid: {ram: [1g, 1024m]}}\n", false))
        .hasMessageContaining("lists a value twice");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, plots: [{name: p, x: workload, y: downtimeMillis}]}\n", false))
        .hasMessageContaining("not numeric");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a, plots: [{name: p, x: ram, y: downtime}]}\n", false))
        .hasMessageContaining("numeric output column");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a}\n", true))
        .hasMessageContaining("no 'quick' section");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - {name: a}\n  - {name: a}\n", false))
        .hasMessageContaining("used twice");
    assertThatThrownBy(() -> loader.parse("name: x\nexperiments:\n  - name: a\n    plots: [{name: p, type: rounds, y: syncMillis}]\n  - name: b\n    plots: [{name: p, type: rounds, y: syncMillis}]\n", false))
        .hasMessageContaining("plot name 'p' used twice");
  }

  @Test
  void shippedSpecsParseInBothVariants() throws Exception {
    for (String name : List.of("seed-claims", "network-bound", "postcopy-network-bound")) {
      java.nio.file.Path file = ShippedSpecs.path(name);
      SweepSpec full = loader.load(file, false);
      SweepSpec quick = loader.load(file, true);
      assertThat(full.runCount()).as(name + " full").isGreaterThan(quick.runCount());
      assertThat(quick.runCount()).as(name + " quick").isPositive();
    }
  }
}
