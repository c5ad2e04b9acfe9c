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

  @Test
  void noiseBoundFollowsTheWarmUpSpreadByTheDocumentedFormula() {
    // warm-up 900, 1000, 1100: mean 1000, sample sigma 100, m = 3, steady (median) 1000
    List<TimelineSample> t =
        List.of(
            s(-200, 900, "warmup"), s(-100, 1000, "warmup"), s(0, 1100, "warmup"),
            s(1000, 1000, "hw"), s(3000, 1000, "after")); // dt 1 s and 2 s, span 3 s
    double expected = 2 * 100 * Math.sqrt(1 + 4 + 9.0 / 3) / 1000;
    assertThat(LostWork.noiseSeconds(t, LostWork.steadyRate(t))).isCloseTo(expected, within(1e-9));
    // a constant warm-up has no spread; one warm-up sample gives no bound at all
    List<TimelineSample> flat = List.of(s(-100, 1000, "warmup"), s(0, 1000, "warmup"), s(500, 10, "hw"));
    assertThat(LostWork.noiseSeconds(flat, 1000)).isZero();
    assertThat(LostWork.noiseSeconds(List.of(s(0, 1000, "warmup"), s(500, 10, "hw")), 1000)).isNaN();
  }

  @Test
  void negativeLostWorkIsReportedSignedAndFlaggedAgainstTheNoise() {
    // the guest ran at 1200/s for 1 s against a baseline of 1000: -0.2 guest-seconds
    List<TimelineSample> t = List.of(s(-100, 1000, "warmup"), s(0, 1000, "warmup"), s(1000, 1200, "hw"));
    double lost = LostWork.seconds(t, LostWork.steadyRate(t));
    assertThat(lost).isCloseTo(-0.2, within(1e-9));
    assertThat(ReportConsole.lostWork(lost, 0.05)).contains("-0.200", "BELOW BASELINE");
    assertThat(ReportConsole.lostWork(lost, 0.5)).contains("-0.200", "within noise").doesNotContain("BELOW");
    assertThat(ReportConsole.lostWork(lost, null)).contains("-0.200", "negative");
    assertThat(ReportConsole.lostWork(0.3, 0.05)).doesNotContain("negative", "BELOW");
  }
}
