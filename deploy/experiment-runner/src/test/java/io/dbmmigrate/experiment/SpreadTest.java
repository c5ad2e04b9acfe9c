package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SpreadTest {
  @Test
  void medianAndInterpolatedPercentiles() {
    Spread s = Spread.of(new double[] {30, 10, 20});
    assertThat(s.n()).isEqualTo(3);
    assertThat(s.median()).isEqualTo(20);
    assertThat(s.p10()).isCloseTo(12, within(1e-9));
    assertThat(s.p90()).isCloseTo(28, within(1e-9));
    assertThat(s.errorBar()).isCloseTo(8, within(1e-9));
  }

  @Test
  void oneValueHasNoBarAndNoValueIsNone() {
    assertThat(Spread.of(new double[] {5}).errorBar()).isZero();
    assertThat(Spread.of(new double[0])).isEqualTo(Spread.NONE);
  }

  @Test
  void anOutlierMovesTheBarNotTheMedian() {
    Spread s = Spread.of(new double[] {10, 10, 10, 10, 1000});
    assertThat(s.median()).isEqualTo(10);
    assertThat(s.p90()).isGreaterThan(100);
  }
}
