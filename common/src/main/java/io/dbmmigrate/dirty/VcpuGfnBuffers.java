package io.dbmmigrate.dirty;

import java.util.concurrent.atomic.LongAdder;

/**
 * The per-vCPU gfn buffers of the ring and HDBSS modes: one {@link GfnRing} per vCPU, the soft
 * limit at which a vCPU exits, and the exit counters.
 *
 * <p>Soft limit: KVM keeps {@code KVM_DIRTY_RING_RSVD_ENTRIES} (64) entries in reserve so that a
 * fault that pushes after the soft limit still finds room; the vCPU exits with
 * KVM_EXIT_DIRTY_RING_FULL when it returns from the fault. Here a ring of N entries exits at
 * N - 64 (N/2 for N &lt; 128; HDBSS has no reserve: the hardware stops at N, before the update).
 *
 * <p>Concurrency: see {@link GfnRing}; every consumer holds the dirty log's monitor.
 */
final class VcpuGfnBuffers {
  static final int RESERVED_ENTRIES = 64;
  /** Entry flag: a 2 MiB block granule (HDBSS logs the granule the hardware updated). */
  static final long BLOCK_ENTRY = 1L << 62;

  private final GfnRing[] rings;
  private final int softLimit;
  final LongAdder fullExits = new LongAdder();
  final LongAdder overflows = new LongAdder();
  final LongAdder harvested = new LongAdder();

  VcpuGfnBuffers(int vcpus, int entries, boolean reserve) {
    this.rings = new GfnRing[vcpus];
    for (int i = 0; i < vcpus; i++) rings[i] = new GfnRing(entries);
    // A reserve of half the ring for small rings, so the soft limit is never 0 (a vCPU that
    // exits on every fault, re-protecting the page it faulted on, would never store).
    this.softLimit = reserve ? entries - Math.min(RESERVED_ENTRIES, entries / 2) : entries;
  }

  int vcpus() {
    return rings.length;
  }

  /** Producer (vCPU thread): false when full. */
  boolean push(int vcpu, long gfn) {
    return rings[vcpu].push(gfn);
  }

  boolean hasRoom(int vcpu) {
    return rings[vcpu].size() < rings[vcpu].capacity();
  }

  boolean atSoftLimit(int vcpu) {
    return rings[vcpu].size() >= softLimit;
  }

  /** Consumer (caller holds the log's monitor): drains vCPU {@code vcpu}'s buffer. */
  int drain(int vcpu, GfnRing.GfnSink sink, boolean drop) {
    int n = rings[vcpu].drain(e -> expand(e, sink), drop);
    harvested.add(n);
    return n;
  }

  /** Consumer: drains every buffer. */
  int drainAll(GfnRing.GfnSink sink) {
    int n = 0;
    for (int v = 0; v < rings.length; v++) n += drain(v, sink, false);
    return n;
  }

  /** Hands the pages of one entry to the sink: one gfn, or the 512 of a block entry. */
  void expand(long entry, GfnRing.GfnSink sink) {
    if ((entry & BLOCK_ENTRY) == 0) {
      sink.accept(entry);
      return;
    }
    long first = entry & ~BLOCK_ENTRY;
    for (long g = first; g < first + 512; g++) sink.accept(g);
  }

  void resetAll() {
    for (GfnRing r : rings) r.reset();
  }
}
