package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SwitchPolicyTest {
  private static SwitchContext ctx(long expectedDirty, long scanNanos, int threads, double faultNanos) {
    return new SwitchContext(3, expectedDirty, scanNanos, threads, faultNanos);
  }

  @Test
  void parsesTheThreeForms() {
    assertThat(SwitchPolicy.parse("never")).isInstanceOf(NeverSwitchPolicy.class);
    assertThat(SwitchPolicy.parse(" COST ")).isInstanceOf(CostSwitchPolicy.class);
    assertThat(SwitchPolicy.parse("threshold:4096")).isEqualTo(new ThresholdSwitchPolicy(4096));
    assertThat(SwitchPolicy.parse("threshold:17").label()).isEqualTo("threshold:17");
  }

  @Test
  void rejectsMalformedPolicies() {
    assertThatThrownBy(() -> SwitchPolicy.parse("sometimes")).hasMessageContaining("never, threshold:<pages> or cost");
    assertThatThrownBy(() -> SwitchPolicy.parse("threshold:")).hasMessageContaining("page count");
    assertThatThrownBy(() -> SwitchPolicy.parse("threshold:-3")).hasMessageContaining(">= 0");
  }

  @Test
  void neverNeverSwitches() {
    assertThat(new NeverSwitchPolicy().shouldSwitch(ctx(0, 1_000_000, 4, 1))).isFalse();
    assertThat(new NeverSwitchPolicy().neverSwitches()).isTrue();
  }

  @Test
  void thresholdSwitchesAtOrBelowTheCount() {
    ThresholdSwitchPolicy p = new ThresholdSwitchPolicy(100);
    assertThat(p.shouldSwitch(ctx(101, 0, 1, Double.NaN))).isFalse();
    assertThat(p.shouldSwitch(ctx(100, 0, 1, Double.NaN))).isTrue();
    assertThat(p.shouldSwitch(ctx(0, 0, 1, Double.NaN))).isTrue();
  }

  @Test
  void costComparesFaultsOfARoundWithTheCpuTimeOfOneScan() {
    CostSwitchPolicy p = new CostSwitchPolicy();
    // scan: 10 ms wall × 4 threads = 40 ms CPU; faults at 3 µs: break-even at 13 333 pages
    assertThat(p.shouldSwitch(ctx(13_000, 10_000_000, 4, 3_000))).isTrue();
    assertThat(p.shouldSwitch(ctx(13_400, 10_000_000, 4, 3_000))).isFalse();
    // a single-threaded scan of the same wall time is 4× cheaper
    assertThat(p.shouldSwitch(ctx(13_000, 10_000_000, 1, 3_000))).isFalse();
  }

  @Test
  void costDoesNotSwitchWithoutMeasurements() {
    CostSwitchPolicy p = new CostSwitchPolicy();
    assertThat(p.shouldSwitch(ctx(1, 10_000_000, 4, Double.NaN))).isFalse();
    assertThat(p.shouldSwitch(ctx(1, 0, 4, 3_000))).isFalse();
  }
}
