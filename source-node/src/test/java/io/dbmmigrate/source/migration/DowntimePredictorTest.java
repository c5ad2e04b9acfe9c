package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.dbmmigrate.dirty.DirtyLogMode;
import org.junit.jupiter.api.Test;

class DowntimePredictorTest {
  @Test
  void addsSyncInTheFinalModeSendAndRoundTrip() {
    DowntimePredictor p = new DowntimePredictor();
    p.recordSync(DirtyLogMode.HW, 10);
    p.recordSync(DirtyLogMode.SW, 1);
    p.recordSend(1_000_000, 12, 100e6); // bandwidth explains 10 ms: 2 ms overhead
    p.recordRoundTrip(0.5);
    DowntimePredictor.Prediction sw = p.predict(DirtyLogMode.SW, 1000, 4096, 100e6);
    assertThat(sw.syncMillis()).isEqualTo(1);
    assertThat(sw.sendMillis()).isCloseTo(1000 * 4096 / 100e6 * 1000 + 2, within(1e-9));
    assertThat(sw.fixedMillis()).isEqualTo(0.5);
    assertThat(sw.millis()).isCloseTo(1 + 40.96 + 2 + 0.5, within(1e-9));
    assertThat(sw.upperMillis()).isEqualTo(sw.millis()); // one sample each: no spread
    assertThat(p.predict(DirtyLogMode.HW, 1000, 4096, 100e6).syncMillis()).isEqualTo(10);
  }

  @Test
  void spreadWidensTheUpperBoundOnly() {
    DowntimePredictor p = new DowntimePredictor();
    for (double ms : new double[] {1, 1, 1, 1, 9}) p.recordSync(DirtyLogMode.SW, ms);
    DowntimePredictor.Prediction x = p.predict(DirtyLogMode.SW, 0, 4096, 1e9);
    assertThat(x.syncMillis()).isEqualTo(1);
    assertThat(x.upperMillis()).isEqualTo(x.millis() + 8);
  }

  @Test
  void withoutASoftwareSyncYetTheHardwareScanBoundsItFromAbove() {
    DowntimePredictor p = new DowntimePredictor();
    p.recordSync(DirtyLogMode.HW, 7);
    DowntimePredictor.Prediction x = p.predict(DirtyLogMode.SW, 0, 4096, 1e9);
    assertThat(x.syncMillis()).isZero();
    assertThat(x.upperMillis() - x.millis()).isEqualTo(7);
  }

  @Test
  void noBandwidthNoPrediction() {
    assertThat(new DowntimePredictor().predict(DirtyLogMode.SW, 10, 4096, Double.NaN).millis()).isNaN();
  }
}
