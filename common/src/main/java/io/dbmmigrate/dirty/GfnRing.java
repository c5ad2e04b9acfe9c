package io.dbmmigrate.dirty;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One vCPU's ring of dirtied gfns: KVM's {@code kvm_dirty_ring} (and, with the same shape, the
 * FEAT_HDBSS buffer with its producer index HDBSSPROD_EL2). Single producer, the vCPU's own thread;
 * consumers (harvests, the vCPU's own full-exit) serialized by the caller.
 *
 * <pre>
 *   entries[ (i & mask) ] for consumed &lt;= i &lt; produced
 *   produced: written by the producer only, store-release after the entry (plain) is written
 *   consumed: written by consumers only (serialized), store-release after the entries are read
 *   full  ⇔ produced - consumed == capacity   (the producer checks before it pushes)
 * </pre>
 *
 * The producer's release of {@code produced} publishes the entry to a consumer that reads {@code
 * produced} with acquire; a consumer's release of {@code consumed} tells the producer (acquire)
 * that the slots may be reused. No entry is read after its slot was handed back.
 */
final class GfnRing {
  private static final VarHandle PRODUCED;
  private static final VarHandle CONSUMED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      PRODUCED = l.findVarHandle(GfnRing.class, "produced", long.class);
      CONSUMED = l.findVarHandle(GfnRing.class, "consumed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long[] entries;
  private final int mask;
  @SuppressWarnings("unused") // through PRODUCED
  private long produced;
  @SuppressWarnings("unused") // through CONSUMED
  private long consumed;

  GfnRing(int capacity) {
    if (Integer.bitCount(capacity) != 1) throw new IllegalArgumentException("capacity: power of two");
    this.entries = new long[capacity];
    this.mask = capacity - 1;
  }

  int capacity() {
    return entries.length;
  }

  /** Entries not yet consumed (either side; exact for the producer). */
  int size() {
    return (int) ((long) PRODUCED.getAcquire(this) - (long) CONSUMED.getAcquire(this));
  }

  /** Producer: appends gfn; false (nothing written) when the ring is full. */
  boolean push(long gfn) {
    long p = (long) PRODUCED.get(this); // own field: plain
    if (p - (long) CONSUMED.getAcquire(this) >= entries.length) return false;
    entries[(int) p & mask] = gfn;
    PRODUCED.setRelease(this, p + 1);
    return true;
  }

  /**
   * Consumer (serialized by the caller): hands every published entry to {@code sink}, then frees
   * their slots (KVM_RESET_DIRTY_RINGS). With {@code drop} the entries are freed unread (the
   * broken HDBSS variant). Returns entries consumed.
   */
  int drain(GfnSink sink, boolean drop) {
    long c = (long) CONSUMED.get(this);
    long p = (long) PRODUCED.getAcquire(this);
    if (!drop) for (long i = c; i < p; i++) sink.accept(entries[(int) i & mask]);
    CONSUMED.setRelease(this, p);
    return (int) (p - c);
  }

  /** Frees every slot unread (enable, disable: no producer runs meanwhile, or its entries are moot). */
  void reset() {
    CONSUMED.setRelease(this, (long) PRODUCED.getAcquire(this));
  }

  /** Where drained gfns go. */
  @FunctionalInterface
  interface GfnSink {
    void accept(long gfn);
  }
}
