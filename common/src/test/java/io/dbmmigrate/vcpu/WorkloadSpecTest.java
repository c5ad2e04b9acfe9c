package io.dbmmigrate.vcpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WorkloadSpecTest {
  @Test
  void defaults() {
    WorkloadSpec r = WorkloadSpec.parse("random");
    assertThat(r.kind()).isEqualTo(WorkloadKind.RANDOM);
    assertThat(r.rateMbPerSec()).isEqualTo(50);
    assertThat(r.seed()).isNull();
    assertThat(r.toString()).isEqualTo("random:rate=50");
    WorkloadSpec h = WorkloadSpec.parse(" HotSet:hot=5,share=80,seed=7,rate=0.5 ");
    assertThat(h.hotPercent()).isEqualTo(5);
    assertThat(h.sharePercent()).isEqualTo(80);
    assertThat(h.seed()).isEqualTo(7L);
    assertThat(h.toString()).isEqualTo("hotset:rate=0.5,seed=7,hot=5,share=80");
    assertThat(WorkloadSpec.parse("idle").rateMbPerSec()).isZero();
    assertThat(WorkloadSpec.parse("sequential:rate=0").nanosPerStore()).as("unlimited").isZero();
    assertThat(WorkloadSpec.parse("once:rate=4.096").nanosPerStore()).isEqualTo(1_000_000);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "sequential", "random:rate=0", "hotset", "hotset:hot=12.5,share=99,rate=100,seed=-3", "once:seed=9",
    "idle", "idle:seed=4", "random:rate=1e-3"
  })
  void toStringRoundTrips(String text) {
    WorkloadSpec s = WorkloadSpec.parse(text);
    assertThat(WorkloadSpec.parse(s.toString())).isEqualTo(s);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "bogus|unknown workload kind 'bogus'",
    "random:|no options after ':'",
    "random:rate|expected key=value",
    "random:speed=3|unknown key 'speed'",
    "random:rate=fast|rate must be a number",
    "random:rate=-1|>= 0",
    "random:hot=10|'hot' only applies to hotset",
    "hotset:hot=0|hot must be in (0, 100]",
    "hotset:share=101|share must be in [0, 100]",
    "random:seed=1.5|seed must be an integer",
    "random:rate=1,rate=2|given twice",
    "idle:rate=5|idle takes no rate",
    "'  '|empty",
  })
  void errorsSayWhatIsWrong(String text, String message) {
    assertThatThrownBy(() -> WorkloadSpec.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
