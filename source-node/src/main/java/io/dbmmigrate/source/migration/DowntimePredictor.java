package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLogMode;
import java.util.Arrays;

/**
 * Predicts the downtime of pausing now, part by part (issue 15 item 2): like QEMU's expected
 * downtime (remaining bytes / bandwidth) but with the parts QEMU leaves out, each from recent
 * measurements of this migration:
 *
 * <ul>
 *   <li>final sync: the recent syncs in the mode the final sync will run in (a software sync after
 *       the switch costs O(dirty pages), a hardware one a full scan);
 *   <li>final send: remaining pages × record bytes / the latest bandwidth, plus the per-round
 *       overhead that bandwidth alone does not explain (each round's send time minus its bytes /
 *       bandwidth: stream set-up, acknowledgements, the last batch's latency);
 *   <li>fixed: the commit exchange, taken from the destination round trips measured while the
 *       rounds ran (heartbeats), and the vCPU pause, capture and destination restore, for which no
 *       sample exists before the first switchover: they count as zero in the central estimate and
 *       are covered only by the spread.
 * </ul>
 *
 * Each part keeps its last {@link #WINDOW} samples: its central value is their median, its spread
 * their maximum minus the median. The decision uses {@link Prediction#upperMillis} = central +
 * √(Σ spread²) (parts treated as independent), so a noisy part makes the source more careful, not
 * more optimistic. Single-threaded (the controller's).
 */
final class DowntimePredictor {
  static final int WINDOW = 5;

  /** One prediction, in milliseconds. */
  record Prediction(double millis, double upperMillis, double syncMillis, double sendMillis, double fixedMillis) {}

  private final Samples hwSync = new Samples();
  private final Samples swSync = new Samples();
  private final Samples sendOverhead = new Samples();
  private final Samples roundTrip = new Samples();

  void recordSync(DirtyLogMode mode, double millis) {
    (mode.hardware() ? hwSync : swSync).add(millis);
  }

  /** A round's send: its measured time and what the bandwidth alone explains of it. */
  void recordSend(long rawBytes, double sendMillis, double bytesPerSec) {
    if (!(bytesPerSec > 0) || rawBytes == 0) return;
    sendOverhead.add(Math.max(0, sendMillis - rawBytes / bytesPerSec * 1000.0));
  }

  void recordRoundTrip(double millis) {
    if (millis >= 0 && Double.isFinite(millis)) roundTrip.add(millis);
  }

  /**
   * @param finalMode the mode the final sync will run in
   * @param remainingPages pages expected dirty at the final sync
   * @param bytesPerPage bytes a page costs on the wire
   * @param bytesPerSec the latest measured bandwidth (NaN: no prediction)
   */
  Prediction predict(DirtyLogMode finalMode, long remainingPages, int bytesPerPage, double bytesPerSec) {
    if (!(bytesPerSec > 0)) return new Prediction(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    Samples sync = finalMode.hardware() ? hwSync : swSync;
    double syncC;
    double syncS;
    if (sync.count() > 0) {
      syncC = sync.median();
      syncS = sync.spread();
    } else {
      // No sync in that mode yet (just switched): O(dirty pages), far below a hardware scan, which
      // bounds it from above.
      syncC = 0;
      syncS = hwSync.count() > 0 ? hwSync.median() : 0;
    }
    double bytesMillis = remainingPages * (double) bytesPerPage / bytesPerSec * 1000.0;
    double sendC = bytesMillis + (sendOverhead.count() > 0 ? sendOverhead.median() : 0);
    double sendS = sendOverhead.count() > 0 ? sendOverhead.spread() : 0;
    double fixedC = roundTrip.count() > 0 ? roundTrip.median() : 0;
    double fixedS = roundTrip.count() > 0 ? roundTrip.spread() : 0;
    double central = syncC + sendC + fixedC;
    double upper = central + Math.sqrt(syncS * syncS + sendS * sendS + fixedS * fixedS);
    return new Prediction(central, upper, syncC, sendC, fixedC);
  }

  /** The last {@link #WINDOW} values of one part. */
  private static final class Samples {
    private final double[] v = new double[WINDOW];
    private int n;

    void add(double x) {
      v[n % WINDOW] = x;
      n++;
    }

    int count() {
      return Math.min(n, WINDOW);
    }

    double median() {
      double[] s = Arrays.copyOf(v, count());
      Arrays.sort(s);
      int k = s.length;
      return k % 2 == 1 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
    }

    double spread() {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < count(); i++) max = Math.max(max, v[i]);
      return max - median();
    }
  }
}
