package io.dbmmigrate.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Lost work (issue 15 item 4; Oliver Upton's metric from the 2023 DBM discussion on the kernel
 * list): the area between the guest's steady-state write rate and its observed write rate over the
 * whole migration, downtime included, expressed in guest-seconds — the time the guest would have
 * needed at its steady rate to retire the stores it did not retire.
 *
 * <pre>
 *   lost = Σ_i (steady − rate_i) · Δt_i / steady      over the samples after the migration began
 * </pre>
 *
 * A timeline sample carries the rate over the period that ends at its time, so {@code Δt_i} is the
 * distance to the previous sample (the first one after time 0 counts from 0). The sum is signed:
 * a guest that runs faster than its steady state for a while (catching up, or noise) gives work
 * back, so noise averages out instead of accumulating. The steady state is the median of the
 * warm-up samples (times ≤ 0): robust against a first sample taken while the guest was still
 * starting.
 *
 * <p>Negative values are reported, not clamped (issue 15): a negative sum means the guest retired
 * more stores during the migration than its baseline predicts. Whether that is noise or a wrong
 * baseline is told by {@link #noiseSeconds}, reported beside it ({@code lostWorkNoiseSeconds}): the
 * two-sigma bound the warm-up's own spread puts on the sum. A |lost work| below it is noise; a
 * negative value beyond it says the baseline was measured too low (console: "BELOW BASELINE"),
 * and the value should not be read as a gain. Stateless.
 */
public final class LostWork {
  private LostWork() {}

  /** Median write rate of the warm-up samples (time ≤ 0); NaN without any. */
  public static double steadyRate(List<TimelineSample> timeline) {
    List<Double> w = new ArrayList<>();
    for (TimelineSample s : timeline) if (s.tMillis() <= 0 && "warmup".equals(s.phase())) w.add(s.guestWritesPerSec());
    if (w.isEmpty()) return Double.NaN;
    Collections.sort(w);
    int n = w.size();
    return n % 2 == 1 ? w.get(n / 2) : (w.get(n / 2 - 1) + w.get(n / 2)) / 2;
  }

  /**
   * Two standard deviations of {@link #seconds} that the baseline's spread alone explains: with σ
   * the standard deviation of the warm-up samples (m of them), T the migration's span and Δt_i the
   * sample periods, each sample's rate errs by σ (independently) and the baseline by σ/√m (for the
   * whole span), so
   *
   * <pre>
   *   noise = 2 · σ · √(Σ Δt_i² + T²/m) / steady
   * </pre>
   *
   * NaN with fewer than two warm-up samples or a non-positive steady rate.
   */
  public static double noiseSeconds(List<TimelineSample> timeline, double steadyRate) {
    if (!(steadyRate > 0)) return Double.NaN;
    double sum = 0;
    double sumSq = 0;
    int m = 0;
    for (TimelineSample s : timeline)
      if (s.tMillis() <= 0 && "warmup".equals(s.phase())) {
        sum += s.guestWritesPerSec();
        sumSq += s.guestWritesPerSec() * s.guestWritesPerSec();
        m++;
      }
    if (m < 2) return Double.NaN;
    double mean = sum / m;
    double sigma = Math.sqrt(Math.max(0, (sumSq - m * mean * mean) / (m - 1)));
    double prev = 0;
    double dtSq = 0;
    for (TimelineSample s : timeline) {
      if (s.tMillis() <= 0) continue;
      double dt = (s.tMillis() - prev) / 1000.0;
      dtSq += dt * dt;
      prev = s.tMillis();
    }
    double span = prev / 1000.0;
    return 2 * sigma * Math.sqrt(dtSq + span * span / m) / steadyRate;
  }

  /** Guest-seconds lost against {@code steadyRate}; NaN when the steady rate is not positive. */
  public static double seconds(List<TimelineSample> timeline, double steadyRate) {
    if (!(steadyRate > 0)) return Double.NaN;
    double prev = 0;
    double lostStores = 0;
    for (TimelineSample s : timeline) {
      if (s.tMillis() <= 0) continue;
      double dt = (s.tMillis() - prev) / 1000.0;
      lostStores += (steadyRate - s.guestWritesPerSec()) * dt;
      prev = s.tMillis();
    }
    return lostStores / steadyRate;
  }
}
