package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.NanoClock;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The end of the page-path warm-up: waits until the JIT compilers of both nodes have gone quiet,
 * so that compilations the warm-up set off do not run inside round 0.
 *
 * <p>Why a wait is needed at all: the warm-up's last batches still set off compilations. On the
 * source, every page-batch call's end takes branches in Netty's write path that a running call
 * never takes; after a few call ends, C2 compiles those methods again (JFR over a two-stream
 * transfer: the second warm-up call's end at round 0's start queued 0.45 s of C2 work, which then
 * ran inside round 0 on a 2-core machine shared with the page path).
 *
 * <p>Quiet means: over one window of {@link #WINDOW_MILLIS}, neither node's accumulated JIT time
 * grew by more than {@link #BUSY_MILLIS}. The clocks are {@code JitClock}'s (the compile time of
 * compilations that finished), so one long compilation shows only when it ends: the window is
 * longer than most single compilations here (C2's largest in round 0 took 0.25 s), not all. A
 * clock that reads -1 (a JVM or destination that does not say) counts as quiet. Never longer than
 * {@code maxNanos}: the warm-up's own time limit bounds it.
 */
public final class CompilerQuiet {
  /** Length of one observation window. */
  public static final long WINDOW_MILLIS = 500;

  /**
   * Compile time per window below which a node counts as quiet (2 % of the window: C1 compiles
   * small methods at any time, such as the heartbeat's).
   */
  public static final long BUSY_MILLIS = 10;

  /** What the wait found: how long it took and whether both nodes went quiet in time. */
  public record Outcome(long waitedNanos, boolean quiet) {
    public long waitedMillis() {
      return TimeUnit.NANOSECONDS.toMillis(waitedNanos);
    }
  }

  private CompilerQuiet() {}

  /**
   * Watches {@code local} and {@code peer} (accumulated compile milliseconds, -1 when unknown)
   * window after window until both grew by at most {@link #BUSY_MILLIS} in one, or {@code maxNanos}
   * passed (then quiet is false; 0 or less: no wait). The calling thread sleeps on {@code clock}.
   */
  public static Outcome await(LongSupplier local, LongSupplier peer, NanoClock clock, long maxNanos)
      throws InterruptedException {
    final long start = clock.nanoTime();
    final long window = TimeUnit.MILLISECONDS.toNanos(WINDOW_MILLIS);
    long l0 = local.getAsLong();
    long p0 = peer.getAsLong();
    while (true) {
      final long left = maxNanos - (clock.nanoTime() - start);
      if (left < window) return new Outcome(clock.nanoTime() - start, false);
      clock.sleepNanos(window);
      final long l1 = local.getAsLong();
      final long p1 = peer.getAsLong();
      if (quiet(l0, l1) && quiet(p0, p1)) return new Outcome(clock.nanoTime() - start, true);
      l0 = l1;
      p0 = p1;
    }
  }

  private static boolean quiet(long before, long after) {
    return before < 0 || after < 0 || after - before <= BUSY_MILLIS;
  }
}
