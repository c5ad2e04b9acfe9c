package io.dbmmigrate.source.migration;

/**
 * The page-path warm-up before round 0 ({@code --jit-warm-up SIZE}, {@code --jit-warm-up-ms MS}):
 * the ROM and the guest pages of the first {@code bytes} of RAM (at most its first 256 MiB),
 * streamed through the whole page path into a scratch memory on the destination (WarmUpPages in
 * target.proto, never into the VM), two calls per stream one after the other, pass after pass
 * until {@code bytes} of payload went out (a mostly-zero guest sends 8-byte markers for most
 * pages) or {@code maxMillis} passed, so that both
 * JVMs compile the page path before the measured rounds; then, within the same {@code maxMillis},
 * a wait until both nodes' compilers are quiet ({@link CompilerQuiet}). At most what the destination advertises
 * is asked for (BeginSessionResponse.max_warm_up_bytes: the larger of the guest's size and 16 GiB;
 * the guest's size from an older destination), plus at most one batch per stream (the
 * destination accepts twice what it advertises, plus 1 MiB).
 *
 * @param bytes 0 = no warm-up
 * @param maxMillis the warm-up stops after this long (a slow or shaped link, or a slow compiler)
 */
public record JitWarmUp(long bytes, long maxMillis) {
  /**
   * 256 MiB of payload or 3 s, whichever comes first: a bounded setup cost for every migration.
   * On the 2-core test machine the compilers need seconds, not megabytes: round 0 of a 2 GiB idle
   * transfer ran at 317.5 MB/s without a warm-up (the source's C2 compiler busy 5.7 s inside the
   * round) and at 672.0 MB/s after 3 s of it; a 4 GiB one at 534.1 MB/s after 3 s and 731.9 MB/s
   * after 10 s, the setting of {@code bench.sh transfer} (README, Benchmarks). The warm-up covers
   * the page path only: the dirty log, the harvest and the switchover still compile in the rounds
   * (the report's JIT line says how long).
   */
  public static final JitWarmUp DEFAULT = new JitWarmUp(256L << 20, 3_000);

  public static final JitWarmUp NONE = new JitWarmUp(0, 0);

  public JitWarmUp {
    if (bytes < 0) throw new IllegalArgumentException("JIT warm-up must be >= 0 bytes");
    if (maxMillis < 0) throw new IllegalArgumentException("JIT warm-up time must be >= 0 ms");
    if (bytes > 0 && maxMillis == 0) throw new IllegalArgumentException("a JIT warm-up needs time (--jit-warm-up-ms > 0)");
  }

  public boolean enabled() {
    return bytes > 0;
  }
}
