package io.dbmmigrate.dirty;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

/**
 * The few Linux scheduler calls that keep a parallel scan's threads on different CPUs (glibc via
 * JNA): the CPU the calling thread runs on, a thread's kernel id, and a thread's allowed CPUs.
 *
 * <p>Why: a woken worker goes where the kernel puts it, and a kernel that packs threads onto few
 * CPUs (this project's 2-vCPU test machine boots with {@code sched_vcpu_pack}) queues it behind
 * the thread that woke it while the other CPU idles: the two then share one core for
 * milliseconds ({@code perf sched timehist}: 1.3 ms until the worker first ran, then 4 ms slices
 * in turn with the other CPU idle). Letting the worker run anywhere but on the waker's CPU, set
 * before the wake-up, makes the kernel place it elsewhere. The caller itself is never restricted.
 *
 * <p>{@link #none()} where the calls are unavailable (not Linux, JNA cannot load, an old glibc):
 * every method then reports "unknown" and changes nothing. Thread-safe (stateless apart from the
 * loaded library).
 */
public final class CpuAffinity {
  /** glibc's cpu_set_t: 1024 CPUs. */
  private static final int MASK_WORDS = 1024 / 64;

  /** The glibc functions used (JNA maps a {@code long[]} to a pointer to its elements). */
  interface LibC extends Library {
    int sched_getcpu();

    int gettid();

    int sched_setaffinity(int tid, NativeLong size, long[] mask);

    int sched_getaffinity(int tid, NativeLong size, long[] mask);
  }

  private final LibC libc;

  private CpuAffinity(LibC libc) {
    this.libc = libc;
  }

  /** No scheduler calls: every query answers -1 or null, nothing is changed. */
  public static CpuAffinity none() {
    return new CpuAffinity(null);
  }

  /** The calls of this host's C library, or {@link #none()} when they cannot be loaded. */
  public static CpuAffinity load() {
    if (!Platform.isLinux()) return none();
    try {
      LibC c = Native.load("c", LibC.class);
      c.sched_getcpu(); // present and working, or throws
      c.gettid(); // glibc 2.30+
      return new CpuAffinity(c);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return none();
    }
  }

  public boolean available() {
    return libc != null;
  }

  /** The CPU the calling thread runs on right now, or -1. */
  public int currentCpu() {
    if (libc == null) return -1;
    final int cpu = libc.sched_getcpu();
    return cpu >= 0 && cpu < 1024 ? cpu : -1;
  }

  /** The calling thread's kernel thread id, or -1. */
  public int currentThreadId() {
    return libc == null ? -1 : libc.gettid();
  }

  /** The CPUs thread {@code tid} may run on (bit c of word c / 64), or null. */
  public long[] allowedCpus(int tid) {
    if (libc == null) return null;
    final long[] mask = new long[MASK_WORDS];
    return libc.sched_getaffinity(tid, new NativeLong(MASK_WORDS * 8L), mask) == 0 ? mask : null;
  }

  /**
   * Lets thread {@code tid} run on the CPUs of {@code allowed} except {@code cpu}; nothing when
   * that would leave it none.
   *
   * @return true when the thread's allowed CPUs are now {@code allowed} without {@code cpu}
   */
  public boolean allowAllBut(int tid, long[] allowed, int cpu) {
    if (libc == null || allowed == null || cpu < 0) return false;
    final long[] mask = allowed.clone();
    mask[cpu >>> 6] &= ~(1L << (cpu & 63));
    boolean any = false;
    for (long w : mask) any |= w != 0;
    return any && libc.sched_setaffinity(tid, new NativeLong(MASK_WORDS * 8L), mask) == 0;
  }
}
