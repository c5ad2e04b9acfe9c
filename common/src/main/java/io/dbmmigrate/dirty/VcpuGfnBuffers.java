package io.dbmmigrate.dirty;

import java.util.concurrent.atomic.LongAdder;

/**
 * The per-vCPU gfn buffers of the ring and HDBSS modes: one {@link GfnRing} per vCPU, the soft
 * limit at which a vCPU exits, and the exit counters.
 *
 * <p>Soft limit: KVM keeps {@code KVM_DIRTY_RING_RSVD_ENTRIES} (64) entries in reserve so that a
 * fault that pushes after the soft limit still finds room; the vCPU exits with
 * KVM_EXIT_DIRTY_RING_FULL when it returns from the fault. Here a ring of N entries exits at
 * N - 64 (HDBSS has no reserve: the hardware stops at N, before the update).
 *
 * <p>Concurrency: see {@link GfnRing}; every consumer holds the dirty log's monitor.
 */
final class VcpuGfnBuffers {
  static final int RESERVED_ENTRIES = 64;

  private final GfnRing[] rings;
  private final int softLimit;
  final LongAdder fullExits = new LongAdder();
  final LongAdder overflows = new LongAdder();
  final LongAdder harvested = new LongAdder();

  VcpuGfnBuffers(int vcpus, int entries, boolean reserve) {
    this.rings = new GfnRing[vcpus];
    for (int i = 0; i < vcpus; i++) rings[i] = new GfnRing(entries);
    this.softLimit = reserve ? entries - RESERVED_ENTRIES : entries;
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
    int n = rings[vcpu].drain(sink, drop);
    harvested.add(n);
    return n;
  }

  /** Consumer: drains every buffer. */
  int drainAll(GfnRing.GfnSink sink) {
    int n = 0;
    for (int v = 0; v < rings.length; v++) n += drain(v, sink, false);
    return n;
  }

  void resetAll() {
    for (GfnRing r : rings) r.reset();
  }
}
