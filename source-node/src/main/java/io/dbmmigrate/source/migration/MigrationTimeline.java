package io.dbmmigrate.source.migration;

/**
 * The moments that split one migration into phases, on the controller's clock (0 = not reached).
 * Written by the controller thread as it goes; read when the report is built.
 *
 * <pre>
 *  start   roundsStart      pause         hash  hashEnd commitSent             answer     end
 *    |--setup--|----rounds----|--downtime----|-commit-|-downtime-[dest hash]-----|--commit--|
 * </pre>
 *
 * The destination's hashing window is known relative to {@code commitSent} only once its answer
 * arrived ({@link #destVerify}); both hashing windows belong to "commit", not to the downtime.
 *
 * <p>Concurrency: the controller thread writes every field. The fields {@link #phaseAt} and {@link
 * #downtimeOverlap} read are volatile, so that the live collector view ({@link
 * GcAccounting#sourceSoFar}, read by status calls and metrics on other threads) sees each boundary
 * once it is set; such a reader may see one boundary without the next (set a moment later), which
 * places a pause at that boundary in the earlier phase until its next read — tolerated by a
 * monitoring view; the report is built on the controller thread and sees every boundary.
 */
final class MigrationTimeline {
  volatile long start;
  volatile long roundsStart;
  volatile long pause;
  long paused;
  long finalRoundEnd;
  long captured;
  volatile long hash;
  volatile long hashEnd;
  volatile long commitSent;
  volatile long answer;
  long end;
  /** JIT compile milliseconds of this JVM ({@code JitClock}) when the rounds began, at the pause, at the answer (-1: not read). */
  long jitAtRoundsStart = -1;
  long jitAtPause = -1;
  long jitAtAnswer = -1;
  /**
   * Post-copy: the destination's samples of its guest's write rate from resume to its
   * CompletePostcopy answer (merged into the report's timeline at {@link #answer}, see {@link
   * io.dbmmigrate.report.PostcopyTimeline}); null for pre-copy and for a post-copy without them.
   */
  java.util.List<io.dbmmigrate.report.PostcopyTimeline.DestSample> postcopyRate;
  /** The destination's own timings, once its commit answer arrived. */
  DestCommitTimings dest = DestCommitTimings.UNKNOWN;
  private volatile long destVerifyFrom;
  private volatile long destVerifyTo;

  /** The rounds begin now ({@code now} on this clock); also reads the JIT's compile time. */
  void roundsStartAt(long now) {
    roundsStart = now;
    jitAtRoundsStart = io.dbmmigrate.jvm.JitClock.compileMillis();
  }

  /** The VM is paused now; also reads the JIT's compile time. */
  void pauseAt(long now) {
    pause = now;
    jitAtPause = io.dbmmigrate.jvm.JitClock.compileMillis();
  }

  /** The destination's commit answer (or its loss) arrived now; also reads the JIT's compile time. */
  void answerAt(long now) {
    answer = now;
    jitAtAnswer = io.dbmmigrate.jvm.JitClock.compileMillis();
  }

  /** The destination's hashing window, as offsets from commit receipt. */
  void destVerify(long fromOffsetNanos, long toOffsetNanos) {
    destVerifyFrom = commitSent + fromOffsetNanos;
    destVerifyTo = commitSent + toOffsetNanos;
  }

  /** The phase a moment on this clock belongs to. */
  String phaseAt(long t) {
    if (roundsStart == 0 || t < roundsStart) return "setup";
    if (pause == 0 || t < pause) return "rounds";
    if (inHashing(t) || (answer != 0 && t >= answer)) return "commit";
    return "downtime";
  }

  boolean inHashing(long t) {
    return (hash != 0 && t >= hash && t < hashEnd) || (destVerifyTo != 0 && t >= destVerifyFrom && t < destVerifyTo);
  }

  /** Nanoseconds of [from, to) that lie inside the downtime (hashing windows excluded). */
  long downtimeOverlap(long from, long to) {
    if (pause == 0 || answer == 0) return 0;
    long a = Math.max(from, pause);
    long b = Math.min(to, answer);
    if (b <= a) return 0;
    long n = b - a;
    n -= overlap(a, b, hash, hashEnd);
    n -= overlap(a, b, destVerifyFrom, destVerifyTo);
    return Math.max(0, n);
  }

  private static long overlap(long a, long b, long from, long to) {
    if (to <= from) return 0;
    long x = Math.max(a, from);
    long y = Math.min(b, to);
    return Math.max(0, y - x);
  }
}
