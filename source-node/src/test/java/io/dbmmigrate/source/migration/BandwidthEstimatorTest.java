package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BandwidthEstimatorTest {
  @Test
  void unknownBeforeTheFirstRound() {
    BandwidthEstimator e = new BandwidthEstimator();
    assertThat(e.bytesPerSec()).isNaN();
    assertThat(e.estimateMillis(100)).isNaN();
  }

  @Test
  void downtimeIsRemainingBytesOverBandwidth() {
    BandwidthEstimator e = new BandwidthEstimator();
    e.record(100_000_000, 1_000_000_000L); // 100 MB/s
    // 1000 pages × 4104 bytes / 100 MB/s = 41.04 ms
    assertThat(e.estimateMillis(1000)).isCloseTo(41.04, within(1e-9));
  }

  @Test
  void usesTheRecentRoundsThatCoverTheWindow() {
    BandwidthEstimator e = new BandwidthEstimator();
    e.record(1L << 30, 1_000_000_000L); // 1 GiB/s, long ago
    e.record(BandwidthEstimator.WINDOW_BYTES, 2_000_000_000L); // then the cap dropped: 32 MiB/s
    assertThat(e.bytesPerSec()).isCloseTo(BandwidthEstimator.WINDOW_BYTES / 2.0, within(1.0));
  }

  @Test
  void smallRecentRoundsAreAveragedWithOlderOnes() {
    BandwidthEstimator e = new BandwidthEstimator();
    e.record(60L << 20, 600_000_000L);
    e.record(1L << 20, 100_000_000L); // latency-dominated small round
    assertThat(e.bytesPerSec()).isCloseTo((61L << 20) / 0.7, within(1.0));
  }

  @Test
  void ignoresRoundsWithoutTime() {
    BandwidthEstimator e = new BandwidthEstimator();
    e.record(1000, 0);
    assertThat(e.bytesPerSec()).isNaN();
  }
}
