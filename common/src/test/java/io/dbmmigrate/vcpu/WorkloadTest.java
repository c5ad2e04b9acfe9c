package io.dbmmigrate.vcpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  static final long PAGES = 10_000;

  @ParameterizedTest
  @ValueSource(strings = {"sequential", "random", "hotset:hot=5,share=95", "once"})
  void capturedStateContinuesExactlyOnAnotherInstance(String spec) {
    WorkloadSpec s = WorkloadSpec.parse(spec);
    Workload a = Workloads.create(s, 1, 2, PAGES, 11);
    for (int i = 0; i < 1234; i++) a.nextPage();
    byte[] state = a.captureState();
    Workload b = Workloads.create(WorkloadSpec.parse(s.toString()), 1, 2, PAGES, 11);
    b.restoreState(state);
    for (int i = 0; i < 5000; i++) assertThat(b.nextPage()).isEqualTo(a.nextPage());
  }

  @Test
  void onceTouchesEveryPageOfItsShareExactlyOnce() {
    BitSet seen = new BitSet();
    for (int v = 0; v < 3; v++) {
      Workload w = Workloads.create(WorkloadSpec.parse("once"), v, 3, PAGES, 1);
      long p;
      while ((p = w.nextPage()) >= 0) {
        assertThat(seen.get((int) p)).isFalse();
        seen.set((int) p);
      }
    }
    assertThat(seen.cardinality()).isEqualTo(PAGES);
  }

  @Test
  void hotsetSendsItsShareToTheHotPages() {
    Workload w = Workloads.create(WorkloadSpec.parse("hotset:hot=10,share=90,seed=5"), 0, 1, PAGES, 0);
    int hot = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      long p = w.nextPage();
      assertThat(p).isBetween(0L, PAGES - 1);
      if (p < PAGES / 10) hot++;
    }
    assertThat((double) hot / n).isBetween(0.88, 0.92); // fixed seed: deterministic
  }

  @Test
  void seedsDifferPerVcpuAndIdleNeverStores() {
    Workload a = Workloads.create(WorkloadSpec.parse("random"), 0, 2, PAGES, 1);
    Workload b = Workloads.create(WorkloadSpec.parse("random"), 1, 2, PAGES, 1);
    assertThat(a.nextPage()).isNotEqualTo(b.nextPage());
    assertThat(Workloads.create(WorkloadSpec.parse("idle"), 0, 1, PAGES, 1).nextPage()).isEqualTo(-1);
  }

  @Test
  void foreignOrCorruptStateIsRejected() {
    Workload r = Workloads.create(WorkloadSpec.parse("random"), 0, 1, PAGES, 1);
    Workload s = Workloads.create(WorkloadSpec.parse("sequential"), 0, 1, PAGES, 1);
    assertThatThrownBy(() -> r.restoreState(s.captureState())).hasMessageContaining("kind");
    byte[] bad = r.captureState();
    bad[0] = 9;
    assertThatThrownBy(() -> r.restoreState(bad)).hasMessageContaining("version 9");
    assertThatThrownBy(() -> r.restoreState(new byte[3])).hasMessageContaining("expected");
  }
}
