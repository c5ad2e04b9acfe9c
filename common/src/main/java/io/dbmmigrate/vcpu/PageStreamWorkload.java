package io.dbmmigrate.vcpu;

import io.dbmmigrate.util.SplitMix64;

import java.nio.ByteBuffer;

/**
 * The built-in workloads: one class, the kind picks the page stream. State: a cursor, a PRNG and a
 * count of pages handed out; encoded as {@code [version=1][kind ordinal][cursor][prng][count]}
 * (18 bytes + 8, big-endian).
 */
final class PageStreamWorkload implements Workload {
  static final byte STATE_VERSION = 1;
  private static final int STATE_BYTES = 2 + 3 * Long.BYTES;

  private final WorkloadSpec spec;
  private final long ramPages;
  private final long lo; // sequential start / once partition
  private final long hi;
  private final long hotPages;
  private final double hotShare;
  private final SplitMix64 rng;
  private long cursor;
  private long count;

  PageStreamWorkload(WorkloadSpec spec, int vcpu, int vcpus, long ramPages, long seed) {
    this.spec = spec;
    this.ramPages = ramPages;
    this.lo = ramPages * vcpu / vcpus;
    this.hi = ramPages * (vcpu + 1) / vcpus;
    this.hotPages = Math.max(1, Math.min(ramPages, (long) Math.ceil(ramPages * spec.hotPercent() / 100)));
    this.hotShare = spec.sharePercent() / 100;
    this.rng = new SplitMix64(seed);
    this.cursor = lo;
  }

  @Override
  public WorkloadSpec spec() {
    return spec;
  }

  @Override
  public long nextPage() {
    switch (spec.kind()) {
      case SEQUENTIAL: {
        long p = cursor;
        cursor = p + 1 == ramPages ? 0 : p + 1;
        count++;
        return p;
      }
      case RANDOM:
        count++;
        return rng.nextLong(ramPages);
      case HOTSET: {
        count++;
        if (hotPages == ramPages || rng.nextDouble() < hotShare) return rng.nextLong(hotPages);
        return hotPages + rng.nextLong(ramPages - hotPages);
      }
      case ONCE:
        if (cursor >= hi) return -1;
        count++;
        return cursor++;
      default:
        return -1;
    }
  }

  @Override
  public byte[] captureState() {
    ByteBuffer b = ByteBuffer.allocate(STATE_BYTES);
    b.put(STATE_VERSION).put((byte) spec.kind().ordinal());
    b.putLong(cursor).putLong(rng.state()).putLong(count);
    return b.array();
  }

  @Override
  public void restoreState(byte[] state) {
    if (state == null || state.length != STATE_BYTES)
      throw new IllegalArgumentException(
          "workload state: expected " + STATE_BYTES + " bytes, got " + (state == null ? "none" : state.length));
    ByteBuffer b = ByteBuffer.wrap(state);
    byte version = b.get();
    if (version != STATE_VERSION)
      throw new IllegalArgumentException("workload state version " + version + " not supported (expected 1)");
    int kind = b.get();
    if (kind != spec.kind().ordinal())
      throw new IllegalArgumentException(
          "workload state is for kind #" + kind + ", not " + spec.kind().id());
    long c = b.getLong();
    if (c < 0 || c > ramPages) throw new IllegalArgumentException("workload state: cursor out of range");
    cursor = c;
    rng.setState(b.getLong());
    count = b.getLong();
  }

  /** Pages handed out so far. */
  long count() {
    return count;
  }
}
