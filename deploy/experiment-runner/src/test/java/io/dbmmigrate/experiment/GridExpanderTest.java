package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GridExpanderTest {
  private static ExperimentSpec experiment(Map<String, String> fixed, LinkedHashMap<String, List<String>> grid, int reps) {
    return new ExperimentSpec("e", PointKind.MIGRATION, fixed, grid, reps, List.of());
  }

  @Test
  void expandsTheCartesianProductFirstKeyOutermostRepetitionsOutside() {
    LinkedHashMap<String, List<String>> grid = new LinkedHashMap<>();
    grid.put("ram", List.of("1g", "2g"));
    grid.put("dirtyLog", List.of("hw", "sw", "hw-sw"));
    List<RunPoint> runs = GridExpander.expand(experiment(Map.of(), grid, 2), Map.of());
    assertThat(runs).hasSize(12);
    assertThat(runs.subList(0, 3)).extracting(r -> r.parameters().get("dirtyLog")).containsExactly("hw", "sw", "hw-sw");
    assertThat(runs.subList(0, 3)).extracting(r -> r.parameters().get("ram")).containsOnly("1g");
    assertThat(runs.subList(0, 6)).extracting(RunPoint::repetition).containsOnly(0);
    assertThat(runs.subList(6, 12)).extracting(RunPoint::repetition).containsOnly(1);
    assertThat(new HashSet<>(runs.stream().map(RunPoint::key).toList())).hasSize(12);
  }

  @Test
  void gridBeatsSetBeatsDefaultsBeatsBuiltIns() {
    LinkedHashMap<String, List<String>> grid = new LinkedHashMap<>();
    grid.put("streams", List.of("8"));
    RunPoint r =
        GridExpander.expand(
                experiment(Map.of("vcpus", "4", "seed", "9"), grid, 1),
                Map.of("vcpus", "3", "streams", "1", "ram", "2g"))
            .get(0);
    assertThat(r.get(Param.STREAMS)).isEqualTo("8");
    assertThat(r.get(Param.VCPUS)).isEqualTo("4");
    assertThat(r.get(Param.RAM)).isEqualTo("2g");
    assertThat(r.get(Param.BACKING)).isEqualTo(Param.BACKING.defaultValue());
    assertThat(r.effectiveSeed()).isEqualTo(9);
    assertThat(r.parameters()).doesNotContainKeys("dirtyPercent", "iterations"); // scan-only parameters
  }

  @Test
  void keysDependOnHashedParametersOnly() {
    TreeMap<String, String> a = new TreeMap<>(Map.of("ram", "1g", "sourceJvmOpts", "-Xmx1g"));
    TreeMap<String, String> b = new TreeMap<>(Map.of("ram", "1g", "sourceJvmOpts", "-Xmx8g"));
    TreeMap<String, String> c = new TreeMap<>(Map.of("ram", "2g", "sourceJvmOpts", "-Xmx1g"));
    String ka = PointKey.of("e", PointKind.MIGRATION, a, 0);
    assertThat(PointKey.of("e", PointKind.MIGRATION, b, 0)).isEqualTo(ka);
    assertThat(PointKey.of("e", PointKind.MIGRATION, c, 0)).isNotEqualTo(ka);
    assertThat(PointKey.of("e", PointKind.MIGRATION, a, 1)).isNotEqualTo(ka);
    assertThat(PointKey.of("f", PointKind.MIGRATION, a, 0)).isNotEqualTo(ka);
    assertThat(ka).hasSize(16).matches("[0-9a-f]+");
  }

  @Test
  void equalValuesWrittenDifferentlyAreOnePoint() throws Exception {
    SpecLoader loader = new SpecLoader();
    SweepSpec one = loader.parse("name: x\nexperiments:\n  - {name: e, grid: {ram: [1g], linkRate: [1000mbit]}}\n", false);
    SweepSpec two = loader.parse("name: x\nexperiments:\n  - {name: e, grid: {ram: [1024m], linkRate: [1gbit]}}\n", false);
    assertThat(GridExpander.expand(one).get(0).key()).isEqualTo(GridExpander.expand(two).get(0).key());
  }
}
