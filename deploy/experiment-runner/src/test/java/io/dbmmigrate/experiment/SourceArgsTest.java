package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceArgsTest {
  @Test
  void dirtyRateTravelsInTheWorkloadSpec() {
    assertThat(SourceArgs.workload("random", "8")).isEqualTo("random:rate=8");
    assertThat(SourceArgs.workload("hotset:hot=5,share=90", "0.5")).isEqualTo("hotset:hot=5,share=90,rate=0.5");
    assertThat(SourceArgs.workload("idle", "8")).isEqualTo("idle");
    assertThat(SourceArgs.workload("random:rate=3", "8")).isEqualTo("random:rate=3");
  }

  @Test
  void everyParameterBecomesAnOption() {
    RunPoint p =
        TestRows.point("e", PointKind.MIGRATION,
            Map.of("ram", "4g", "dirtyLog", "hw", "prefill", "0.5", "extraArgs", "--split lazy", "seed", "7"), 2);
    List<String> a = SourceArgs.migrate(p, "h:1", 1000, Path.of("r.json"), Path.of("csv"));
    assertThat(a.get(0)).isEqualTo("migrate");
    assertThat(String.join(" ", a))
        .contains("--target h:1", "--ram 4g", "--dirty-log hw", "--seed 9", "--prefill 0.5", "--max-bandwidth 1000",
            "--report r.json", "--csv csv")
        .endsWith("--split lazy")
        .doesNotContain("--compress");
    assertThat(String.join(" ", SourceArgs.migrate(p, null, -1, Path.of("r"), Path.of("c"))))
        .doesNotContain("--target").doesNotContain("--max-bandwidth");
  }
}
