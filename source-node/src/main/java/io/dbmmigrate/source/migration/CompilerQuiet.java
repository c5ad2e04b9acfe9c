package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.NanoClock;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The end of the page-path warm-up: waits until the JIT compilers of both nodes have gone quiet,
 * so that compilations the warm-up set off do not run inside round 0.
 *
 * <p>Why: a short warm-up ends while the compilers still work through what it set off (the
 * default 256 MiB is over in under a second; in a default {@code run-local} migration this wait
 * then took 1.0 s on a 2-core machine, compile time that round 0 would otherwise have shared its
 * cores with). What a wait cannot catch: a recompilation that C2 starts only on further traffic
 * (after a trap in code that kept running); {@code PageStreamSender}'s warm-up calls are laid out
 * to bring those into the warm-up.
 *
 * <p>Quiet means: over one window of {@link #WINDOW_MILLIS}, neither node's accumulated JIT time
 * grew by more than {@link #BUSY_MILLIS}. The clocks are {@code JitClock}'s (the compile time of
 * compilations that finished), so one long compilation shows only when it ends: the window is
 * longer than most single compilations here (most took under 0.25 s in the JFR recordings; the
 * largest, gRPC's delivery task with the whole apply inlined, about 1 s), not all. A clock that
 * reads -1 (a JVM or destination that does not say) counts as quiet. Never longer than {@code
 * maxNanos} (the warm-up's own time limit) plus one reading of each clock (the destination's is
 * a Heartbeat call, at most 5 s when it does not answer).
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
