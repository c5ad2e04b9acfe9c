package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import io.dbmmigrate.report.LatencyPercentiles;
import org.junit.jupiter.api.Test;

class BatchSendLatencyTest {
  private static final long MS = 1_000_000;

  @Test
  void roundMergesEveryStreamAndReportsItsPercentiles() {
    BatchSendLatency l = new BatchSendLatency(2);
    // stream 0: 1..98 ms, stream 1: 99 and 100 ms — the round holds 1..100 ms once each
    for (long v = 1; v <= 98; v++) l.stream(0).recordNanos(v * MS);
    l.stream(1).recordNanos(99 * MS);
    l.stream(1).recordNanos(100 * MS);
    LatencyPercentiles round = l.endRound();
    assertThat(round.count()).isEqualTo(100);
    assertThat(round.p50Millis()).isCloseTo(50, withPercentage(1));
    assertThat(round.p99Millis()).isCloseTo(99, withPercentage(1));
    assertThat(round.maxMillis()).isCloseTo(100, withPercentage(1));
  }

  @Test
  void eachRoundStartsEmptyAndTheTotalKeepsEveryRound() {
    BatchSendLatency l = new BatchSendLatency(1);
    for (int i = 0; i < 10; i++) l.stream(0).recordNanos(200 * MS);
    assertThat(l.endRound().maxMillis()).isCloseTo(200, withPercentage(1));
    for (int i = 0; i < 30; i++) l.stream(0).recordNanos(2 * MS);
    LatencyPercentiles second = l.endRound();
    // the first round's 200 ms batches are not in the second round
    assertThat(second.count()).isEqualTo(30);
    assertThat(second.maxMillis()).isCloseTo(2, withPercentage(1));
    LatencyPercentiles total = l.total();
    assertThat(total.count()).isEqualTo(40);
    assertThat(total.p50Millis()).isCloseTo(2, withPercentage(1));
    assertThat(total.maxMillis()).isCloseTo(200, withPercentage(1));
    // an empty round is empty, and leaves the total alone
    assertThat(l.endRound()).isEqualTo(LatencyPercentiles.EMPTY);
    assertThat(l.total().count()).isEqualTo(40);
  }

  @Test
  void whatTheWarmUpRecordedIsInNoRoundAndNotInTheTotal() {
    BatchSendLatency l = new BatchSendLatency(2);
    for (int i = 0; i < 50; i++) l.stream(i % 2).recordNanos(500 * MS); // the warm-up's batches
    l.discardRecorded();
    for (int i = 0; i < 20; i++) l.stream(i % 2).recordNanos(3 * MS);
    LatencyPercentiles round0 = l.endRound();
    assertThat(round0.count()).isEqualTo(20);
    assertThat(round0.maxMillis()).isCloseTo(3, withPercentage(1));
    assertThat(l.total().count()).isEqualTo(20);
  }

  @Test
  void valuesOutsideTheRangeAreClampedNotLostAndMicrosecondsAreTheUnit() {
    BatchSendLatency l = new BatchSendLatency(1);
    l.stream(0).recordNanos(10); // below 1 µs
    l.stream(0).recordNanos(3_600_000 * MS); // an hour: beyond the range
    l.stream(0).recordNanos(1_500_000); // 1.5 ms
    LatencyPercentiles p = l.endRound();
    assertThat(p.count()).isEqualTo(3);
    assertThat(p.p50Millis()).isCloseTo(1.5, withPercentage(1));
    assertThat(p.maxMillis()).isCloseTo(BatchSendLatency.HIGHEST_MICROS / 1000.0, withPercentage(1));
  }

  @Test
  void syncTimesArePercentilesOfTheRecordedMilliseconds() {
    SyncTimeHistogram h = new SyncTimeHistogram();
    assertThat(h.percentiles()).isEqualTo(LatencyPercentiles.EMPTY);
    for (int i = 1; i <= 100; i++) h.recordMillis(i * 0.5); // 0.5 .. 50 ms
    LatencyPercentiles p = h.percentiles();
    assertThat(p.count()).isEqualTo(100);
    assertThat(p.p50Millis()).isCloseTo(25, withPercentage(1));
    assertThat(p.p99Millis()).isCloseTo(49.5, withPercentage(1));
    assertThat(p.maxMillis()).isCloseTo(50, withPercentage(1));
  }
}
