package io.dbmmigrate.source.migration;

/**
 * The page-path warm-up before round 0 ({@code --jit-warm-up SIZE}, {@code --jit-warm-up-ms MS}):
 * up to {@code bytes} of guest pages from the start of RAM, streamed through the whole page path
 * into a scratch memory on the destination (WarmUpPages in target.proto, never into the VM), for at
 * most {@code maxMillis}, so that both JVMs compile the page path before the measured rounds. The
 * destination accepts at most the guest's size (plus 1 MiB) per session.
 *
 * @param bytes 0 = no warm-up
 * @param maxMillis the warm-up stops after this long (a slow or shaped link, or a slow compiler)
 */
public record JitWarmUp(long bytes, long maxMillis) {
  /**
   * 1 GiB or 10 s, whichever comes first. On the 2-core test machine, round 0 of a 2 GiB transfer
   * ran at 317.5 MB/s without a warm-up (the source's C2 compiler busy 5.7 s inside the round) and
   * at 672.0 MB/s after 3 s of it; a 4 GiB one at 534.1 MB/s after 3 s and 731.9 MB/s after 10 s
   * (1.6 GiB, JIT 1.4 s left in the round). The compilers need seconds here, not megabytes.
   */
  public static final JitWarmUp DEFAULT = new JitWarmUp(1L << 30, 10_000);

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
