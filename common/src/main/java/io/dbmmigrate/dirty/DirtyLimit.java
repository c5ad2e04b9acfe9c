package io.dbmmigrate.dirty;

/**
 * QEMU's dirty-limit ({@code set-vcpu-dirty-limit}): a per-vCPU cap on the dirty-page rate,
 * enforced when the vCPU exits anyway (a write fault, a ring-full exit, an HDBSS buffer-full exit)
 * by making it owe guest time. Each vCPU owns a virtual clock: every logged page advances it by
 * {@code 4096 / limit}; a vCPU whose clock runs ahead of real time owes the difference. A vCPU
 * that never exits (HW with DBM) is not limited: that is the point of the throttle comparison.
 *
 * <p>Concurrency: slot {@code vcpu} of each array is touched only by vCPU {@code vcpu}'s thread.
 */
final class DirtyLimit {
  /** Unused allowance older than this is forgotten (a vCPU cannot save up for a burst). */
  private static final long MAX_CREDIT_NANOS = 10_000_000;

  private final double nanosPerPage;
  private final long[] clockNanos;

  DirtyLimit(double limitMbps, int vcpus) {
    this.nanosPerPage = 4096 * 1e3 / limitMbps; // MB/s = 1e6 B/s: 4096 B take 4096e3/limit ns
    this.clockNanos = new long[vcpus];
  }

  /** vCPU thread: {@code pages} logged since its last exit; returns guest ns owed. */
  long charge(int vcpu, long pages, long nowNanos) {
    if (pages <= 0 || vcpu < 0 || vcpu >= clockNanos.length) return 0;
    long c = Math.max(clockNanos[vcpu], nowNanos - MAX_CREDIT_NANOS) + (long) (pages * nanosPerPage);
    clockNanos[vcpu] = c;
    return Math.max(0, c - nowNanos);
  }
}
