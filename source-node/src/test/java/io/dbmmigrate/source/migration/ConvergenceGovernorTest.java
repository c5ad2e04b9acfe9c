package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.source.migration.ConvergenceDecision.Action;
import org.junit.jupiter.api.Test;

class ConvergenceGovernorTest {
  private final ConvergenceGovernor force = new ConvergenceGovernor(NoConvergenceAction.FORCE);
  private final ConvergenceGovernor abort = new ConvergenceGovernor(NoConvergenceAction.ABORT);
  private final ConvergenceGovernor throttle = new ConvergenceGovernor(NoConvergenceAction.THROTTLE);

  @Test
  void stopsWhenTheEstimateIsWithinTheLimit() {
    assertThat(force.decide(3, 299.9, 300, 30, 0).action()).isEqualTo(Action.STOP);
    assertThat(force.decide(3, 300, 300, 30, 0).action()).isEqualTo(Action.STOP);
    assertThat(force.decide(3, 300.1, 300, 30, 0).action()).isEqualTo(Action.CONTINUE);
  }

  @Test
  void neverStopsAfterRoundZeroOrOnAnUnknownEstimate() {
    assertThat(force.decide(0, 0, 300, 30, 0).action()).isEqualTo(Action.CONTINUE);
    assertThat(force.decide(4, Double.NaN, 300, 30, 0).action()).isEqualTo(Action.CONTINUE);
  }

  @Test
  void roundLimitCountsRoundZero() {
    assertThat(force.decide(28, 1000, 300, 30, 0).action()).isEqualTo(Action.CONTINUE);
    assertThat(force.decide(29, 1000, 300, 30, 0).action()).isEqualTo(Action.FORCE_STOP);
    assertThat(abort.decide(29, 1000, 300, 30, 0).action()).isEqualTo(Action.ABORT);
    assertThat(force.decide(0, Double.NaN, 300, 1, 0).action()).isEqualTo(Action.FORCE_STOP);
  }

  @Test
  void throttleStepsLikeQemuAutoConverge() {
    int t = 0;
    StringBuilder steps = new StringBuilder();
    for (int round = 4; ; round++) {
      ConvergenceDecision d = throttle.decide(round, 1000, 300, 5, t);
      if (d.action() != Action.THROTTLE) {
        assertThat(d.action()).isEqualTo(Action.FORCE_STOP);
        assertThat(d.reason()).contains("99 % throttle");
        break;
      }
      t = d.throttlePercent();
      steps.append(t).append(' ');
    }
    assertThat(steps.toString().trim()).isEqualTo("20 30 40 50 60 70 80 90 99");
  }

  @Test
  void throttledMigrationStillStopsWhenItConverges() {
    assertThat(throttle.decide(12, 100, 300, 5, 50).action()).isEqualTo(Action.STOP);
  }

  @Test
  void throttlingStopsAtOnceWhenTheFloorAloneIsAboveTheLimit() {
    // 1000 ms estimated, of which 450 ms remain with nothing left to send: no throttle reaches 300.
    ConvergenceDecision d = throttle.decide(4, 1000, 450, 300, 5, 0);
    assertThat(d.action()).isEqualTo(Action.FORCE_STOP);
    assertThat(d.reason()).contains("throttling cannot help").contains("450.0 ms");
    // A floor under the limit leaves QEMU's steps alone, and so does an unknown floor.
    assertThat(throttle.decide(4, 1000, 120, 300, 5, 0).action()).isEqualTo(Action.THROTTLE);
    assertThat(throttle.decide(4, 1000, Double.NaN, 300, 5, 0).action()).isEqualTo(Action.THROTTLE);
    // Before the last round the floor changes nothing, and FORCE/ABORT policies are unchanged.
    assertThat(throttle.decide(2, 1000, 450, 300, 5, 0).action()).isEqualTo(Action.CONTINUE);
    assertThat(abort.decide(29, 1000, 450, 300, 30, 0).action()).isEqualTo(Action.ABORT);
  }
}
