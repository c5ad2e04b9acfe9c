package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class GuestRateRecorderTest {
  @Test
  void samplesTheRateSinceResumeAndEndsWithAShorterLastSample() {
    AtomicLong nanos = new AtomicLong(5_000_000_000L);
    AtomicLong stores = new AtomicLong(1_000); // the count restored from the source
    GuestRateRecorder r = GuestRateRecorder.manual(stores::get, nanos::get);
    nanos.addAndGet(100_000_000);
    stores.addAndGet(50);
    r.sample(); // 50 stores in 100 ms
    r.sample(); // no time passed: no sample
    nanos.addAndGet(30_000_000);
    stores.addAndGet(30);
    GuestRateRecorder.Samples s = r.stop(); // 30 stores in the last 30 ms
    assertThat(s.endMicros()).containsExactly(100_000, 130_000);
    assertThat(s.storesPerSec()).containsExactly(500.0, 1000.0);
    assertThat(s.truncated()).isFalse();
    nanos.addAndGet(100_000_000);
    stores.addAndGet(99);
    r.sample();
    assertThat(r.stop().endMicros()).as("nothing after stop").containsExactly(100_000, 130_000);
  }

  @Test
  void stopsAtItsCapAndSaysSo() {
    AtomicLong nanos = new AtomicLong();
    GuestRateRecorder r = GuestRateRecorder.manual(() -> 7, nanos::get);
    for (int i = 0; i < GuestRateRecorder.MAX_SAMPLES + 10; i++) {
      nanos.addAndGet(1_000_000);
      r.sample();
    }
    GuestRateRecorder.Samples s = r.stop();
    assertThat(s.endMicros()).hasSize(GuestRateRecorder.MAX_SAMPLES);
    assertThat(s.truncated()).isTrue();
  }
}
