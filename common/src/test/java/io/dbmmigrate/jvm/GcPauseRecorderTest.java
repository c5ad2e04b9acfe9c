package io.dbmmigrate.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GcPauseRecorderTest {
  @Test
  void aRequestedCollectionIsRecordedOnTheCallersClock() throws Exception {
    try (GcPauseRecorder r = GcPauseRecorder.start(System::nanoTime)) {
      long before = System.nanoTime();
      System.gc();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (r.count() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
      assertThat(r.count()).as("a pause notification within 20 s of System.gc()").isPositive();
      List<GcPauseRecorder.Pause> all = r.between(Long.MIN_VALUE, Long.MAX_VALUE);
      GcPauseRecorder.Pause p = all.get(all.size() - 1);
      // positioned on System.nanoTime to about a millisecond (the JVM reports whole ms)
      assertThat(p.startNanos()).isGreaterThan(before - TimeUnit.MILLISECONDS.toNanos(5));
      assertThat(p.startNanos()).isLessThan(System.nanoTime());
      assertThat(GcPauseRecorder.isCycleBean(p.collector())).isFalse();
    }
  }

  @Test
  void betweenKeepsOverlappingPausesAndOverlapClipsThem() {
    GcPauseRecorder r = GcPauseRecorder.manual(() -> 0);
    r.record(new GcPauseRecorder.Pause(100, 50, "a"));
    r.record(new GcPauseRecorder.Pause(200, 100, "b"));
    r.record(new GcPauseRecorder.Pause(400, 10, "c"));
    List<GcPauseRecorder.Pause> mid = r.between(140, 250);
    assertThat(mid).extracting(GcPauseRecorder.Pause::collector).containsExactly("a", "b");
    assertThat(GcPauseRecorder.overlapNanos(mid, 140, 250)).isEqualTo(10 + 50);
    assertThat(r.count()).isEqualTo(3);
    assertThat(r.totalNanos()).isEqualTo(160);
  }

  @Test
  void theRingKeepsTheNewestAndCountsAll() {
    GcPauseRecorder r = GcPauseRecorder.manual(() -> 0);
    for (int i = 0; i < GcPauseRecorder.CAPACITY + 10; i++) r.record(new GcPauseRecorder.Pause(i * 10L, 1, "x"));
    assertThat(r.count()).isEqualTo(GcPauseRecorder.CAPACITY + 10);
    List<GcPauseRecorder.Pause> kept = r.between(Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(kept).hasSize(GcPauseRecorder.CAPACITY);
    assertThat(kept.get(0).startNanos()).isEqualTo(100);
  }

  @Test
  void cycleBeansAreNotPauses() {
    assertThat(GcPauseRecorder.isCycleBean("ZGC Major Cycles")).isTrue();
    assertThat(GcPauseRecorder.isCycleBean("Shenandoah Cycles")).isTrue();
    assertThat(GcPauseRecorder.isCycleBean("G1 Young Generation")).isFalse();
    assertThat(GcPauseRecorder.isCycleBean("ZGC Major Pauses")).isFalse();
  }
}
