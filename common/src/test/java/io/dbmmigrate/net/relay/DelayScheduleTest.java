package io.dbmmigrate.net.relay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DelayScheduleTest {
  @Test
  void fixedDelayIsAddedToEveryChunk() {
    DelaySchedule s = new DelaySchedule(() -> new DelaySchedule.Setting(5_000, 0), 1);
    assertThat(s.releaseAtNanos(100)).isEqualTo(5_100);
    assertThat(s.releaseAtNanos(200)).isEqualTo(5_200);
  }

  @Test
  void jitterStaysWithinBoundsAndNeverReordersChunks() {
    long seed = System.nanoTime();
    System.out.println("DelayScheduleTest seed=" + seed);
    DelaySchedule s = new DelaySchedule(() -> new DelaySchedule.Setting(10_000, 3_000), seed);
    long previous = Long.MIN_VALUE;
    boolean sawBelowDelay = false;
    boolean sawAboveDelay = false;
    // Chunks 100 ns apart overlap (release clamped to the predecessor's); 10 us apart they do not.
    for (long arrival = 0; arrival < 10_000_000; arrival += arrival < 1_000_000 ? 100 : 10_000) {
      long release = s.releaseAtNanos(arrival);
      assertThat(release).isGreaterThanOrEqualTo(previous);
      assertThat(release - arrival).isBetween(7_000L, 13_000L);
      if (release - arrival < 10_000 && arrival >= 1_000_000) sawBelowDelay = true;
      if (release - arrival > 10_000) sawAboveDelay = true;
      previous = release;
    }
    assertThat(sawBelowDelay).as("jitter goes below the mean").isTrue();
    assertThat(sawAboveDelay).as("jitter goes above the mean").isTrue();
  }

  @Test
  void jitterLargerThanDelayNeverReleasesBeforeArrival() {
    DelaySchedule s = new DelaySchedule(() -> new DelaySchedule.Setting(1_000, 5_000), 42);
    for (long arrival = 0; arrival < 100_000_000; arrival += 100_000)
      assertThat(s.releaseAtNanos(arrival)).isGreaterThanOrEqualTo(arrival);
  }
}
