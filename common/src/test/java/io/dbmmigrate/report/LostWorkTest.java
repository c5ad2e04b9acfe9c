package io.dbmmigrate.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LostWorkTest {
  private static TimelineSample s(double tMillis, double rate, String phase) {
    return new TimelineSample(tMillis, rate, phase);
  }

  @Test
  void aPauseLosesItsLengthAndAHalfSpeedRoundHalfOfIts() {
    List<TimelineSample> t =
        List.of(
            s(-200, 10, "warmup"), s(-100, 1000, "warmup"), s(0, 1000, "warmup"), // steady 1000
            s(1000, 500, "hw"), // 1 s at half speed: 0.5 s lost
            s(1300, 0, "paused"), // 0.3 s downtime: 0.3 s lost
            s(2300, 1000, "after")); // back to steady: nothing
    double steady = LostWork.steadyRate(t);
    assertThat(steady).isEqualTo(1000);
    assertThat(LostWork.seconds(t, steady)).isCloseTo(0.8, within(1e-9));
  }

  @Test
  void runningFasterGivesWorkBackAndNoSteadyStateNoFigure() {
    List<TimelineSample> t = List.of(s(0, 100, "warmup"), s(100, 50, "sw"), s(200, 150, "after"));
    assertThat(LostWork.seconds(t, 100)).isCloseTo(0, within(1e-12));
    assertThat(LostWork.seconds(t, 0)).isNaN();
    assertThat(LostWork.steadyRate(List.of(s(10, 5, "hw")))).isNaN();
  }
}
