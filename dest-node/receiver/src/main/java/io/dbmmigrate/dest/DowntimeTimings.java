package io.dbmmigrate.dest;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.GcPause;
import java.util.List;

/**
 * The destination's share of the downtime decomposition (issue 15 item 1): the commit path's
 * timestamps turned into the optional {@code CommitResponse} duration fields, and the session's
 * collector pauses positioned relative to commit receipt. Stateless.
 */
final class DowntimeTimings {
  static final int MAX_PAUSES = 1000;

  private DowntimeTimings() {}

  /** Before hashing ends: completeness, restore and hashing durations, last batch → commit. */
  static void fill(CommitResponse.Builder r, ReceiveSession s, long tCommit, long tComplete, long tReady, long tHashed) {
    r.setCompletenessMicros(micros(tComplete - tCommit))
        .setRestoreMicros(micros(tReady - tComplete))
        .setVerifyMicros(micros(tHashed - tReady));
    long lastApplied = s.lastAppliedNanos();
    if (lastApplied != 0) r.setLastBatchToCommitMicros(micros(tCommit - lastApplied));
  }

  /**
   * Just before the answer: resume (or discard) duration, the session's GC pauses, and this JVM's
   * JIT compile time from the first batch to commit receipt and from there to now.
   */
  static void finish(
      CommitResponse.Builder r, GcPauseRecorder gc, ReceiveSession s, long tCommit, long tHashed, long now) {
    r.setResumeMicros(micros(now - tHashed));
    List<GcPauseRecorder.Pause> pauses = gc.between(s.createdNanos, now);
    int from = Math.max(0, pauses.size() - MAX_PAUSES);
    for (GcPauseRecorder.Pause p : pauses.subList(from, pauses.size()))
      r.addGcPauses(
          GcPause.newBuilder()
              .setStartOffsetMicros((p.startNanos() - tCommit) / 1000)
              .setDurationMicros(p.durationNanos() / 1000));
    r.setGcReported(true);
    long jitCommit = s.jitAtCommit;
    long jitFirst = s.vmTarget.jitAtFirstBatch.get();
    long jitNow = JitClock.compileMillis();
    if (jitCommit >= 0 && jitNow >= 0) {
      r.setJitCommitMillis(Math.max(0, jitNow - jitCommit));
      if (jitFirst >= 0) r.setJitRoundsMillis(Math.max(0, jitCommit - jitFirst));
    }
  }

  private static long micros(long nanos) {
    return Math.max(0, nanos / 1000);
  }
}
