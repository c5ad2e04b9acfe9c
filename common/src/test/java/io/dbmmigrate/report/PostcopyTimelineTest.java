package io.dbmmigrate.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class PostcopyTimelineTest {
  private static TimelineSample s(double tMillis, double rate, String phase) {
    return new TimelineSample(tMillis, rate, phase);
  }

  private static final List<TimelineSample> SOURCE =
      List.of(
          s(-200, 1000, "warmup"), s(-100, 1000, "warmup"), s(0, 1000, "warmup"), // steady 1000/s
          s(500, 800, "hw"), // a pre-copy round at 80 %: 0.5 s × 0.2 = 0.1 s lost
          s(600, 0, "paused"), // the switchover stop: 0.1 s lost
          s(660, 0, "paused"), // a sampler tick after the answer at 650: dropped
          s(1000, 1000, "after")); // the tail at the steady rate: nothing lost

  /** The destination's samples: 100 ms at 40 %, 100 ms at 60 %, 50 ms at full speed. */
  private static final List<PostcopyTimeline.DestSample> DEST =
      List.of(
          new PostcopyTimeline.DestSample(100_000, 400),
          new PostcopyTimeline.DestSample(200_000, 600),
          new PostcopyTimeline.DestSample(250_000, 1000));

  @Test
  void lostWorkCoversRoundsStopAndThePostcopyPhase() {
    List<TimelineSample> t = PostcopyTimeline.merge(SOURCE, 650, DEST);
    // by hand: round 0.1 + stop to the last source sample 0.1 + stop from 600 to the answer at 650
    // 0.05 + post-copy 0.1 × 0.6 + 0.1 × 0.4 + 0.05 × 0 + tail (900 -> 1000 at 1000/s) 0
    assertThat(LostWork.seconds(t, LostWork.steadyRate(t))).isCloseTo(0.35, within(1e-9));
    assertThat(LostWork.noiseSeconds(t, LostWork.steadyRate(t))).isZero(); // a flat warm-up
  }

  @Test
  void destinationSamplesLandAfterTheSourcesReceiptOfTheAnswerInOrder() {
    List<TimelineSample> t = PostcopyTimeline.merge(SOURCE, 650, DEST);
    assertThat(t).extracting(TimelineSample::tMillis)
        .containsExactly(-200.0, -100.0, 0.0, 500.0, 600.0, 650.0, 750.0, 850.0, 900.0, 1000.0);
    assertThat(t).filteredOn(x -> x.phase().equals(PostcopyTimeline.PHASE)).extracting(TimelineSample::guestWritesPerSec)
        .containsExactly(400.0, 600.0, 1000.0);
    // without the destination's samples the post-copy phase would count at the tail's full rate
    List<TimelineSample> sourceOnly = PostcopyTimeline.merge(SOURCE, 650, List.of());
    assertThat(LostWork.seconds(sourceOnly, 1000)).isCloseTo(0.25, within(1e-9));
  }
}
