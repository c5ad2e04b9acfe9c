package io.dbmmigrate.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Puts the destination's samples of its guest's write rate after a post-copy resume on the
 * source's migration timeline, so that {@link LostWork} covers the whole migration: the pre-copy
 * rounds (hybrid), the switchover stop, and the post-copy phase in which vCPUs block on missing
 * pages. The source stops sampling at the switchover (its guest no longer runs); the destination
 * samples from resume to its CompletePostcopy answer (target.proto {@code GuestRateSample}).
 *
 * <p>Clock alignment: the destination stamps each sample with the time since <em>it</em> resumed
 * the VM (a duration on its own clock), and the source places that duration after the moment
 * <em>it</em> received the StartPostcopy answer ({@code resumeMillis}, the end of the downtime as
 * the report measures it). No shared clock is assumed, so this holds across hosts as on one; the
 * destination resumed up to one one-way delay before the source heard of it, so every destination
 * sample lands at most that much late (a shift, not a loss: its stores are all counted).
 *
 * <p>The gap between the source's last sample and {@code resumeMillis} lies in the pause (the
 * guest ran on neither node): a zero-rate "paused" sample at {@code resumeMillis} closes it, so the
 * first destination sample does not stretch over it. Source samples after {@code resumeMillis}
 * other than "after" (one tick of the source's sampler racing its stop) are dropped: the source's
 * guest was not running then. Stateless.
 */
public final class PostcopyTimeline {
  /** Label of the destination's samples between a post-copy resume and its last page. */
  public static final String PHASE = "postcopy";

  /**
   * One destination sample: the period that ends {@code endMicros} after the destination resumed
   * (and starts where the previous sample ended, the first at resume).
   */
  public record DestSample(long endMicros, double storesPerSec) {}

  private PostcopyTimeline() {}

  /**
   * @param source the source's samples, times relative to the migration start
   * @param resumeMillis when the source received the StartPostcopy answer, relative to the same start
   * @param dest the destination's samples, in order
   * @return the merged timeline, in time order
   */
  public static List<TimelineSample> merge(List<TimelineSample> source, double resumeMillis, List<DestSample> dest) {
    List<TimelineSample> out = new ArrayList<>(source.size() + dest.size() + 1);
    for (TimelineSample s : source)
      if (s.tMillis() <= resumeMillis || "after".equals(s.phase())) out.add(s);
    out.add(new TimelineSample(resumeMillis, 0, "paused"));
    for (DestSample d : dest) out.add(new TimelineSample(resumeMillis + d.endMicros() / 1000.0, d.storesPerSec(), PHASE));
    out.sort(Comparator.comparingDouble(TimelineSample::tMillis));
    return out;
  }
}
