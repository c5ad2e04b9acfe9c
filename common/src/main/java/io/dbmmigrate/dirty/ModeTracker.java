package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;

import io.dbmmigrate.mmu.DirtyPageRecorder;
import io.dbmmigrate.mmu.DirtyTracker;
import io.dbmmigrate.mmu.FaultKind;
import io.dbmmigrate.mmu.FaultResponse;

/**
 * The {@link DirtyTracker} of a logging mode: a table from fault kind to PTE edit and recorder,
 * plus, for the modes that have them, the per-vCPU buffers and the exit service. What the MMU does
 * in each mode is written here, once, as data:
 *
 * <table>
 * <caption>fault kind → PTE edit (recorder called first where marked)</caption>
 * <tr><th>kind</th><th>sw</th><th>hw, hdbss</th><th>ring</th><th>combined</th></tr>
 * <tr><td>WRITE_MAP</td><td>record; writable</td><td>writable + DBM (hw: hardware dirty, the
 *     next scan collects it; hdbss: recorded first, as there is no scan)</td>
 *     <td>push (vCPU's ring); writable</td><td>record + arm the 64-page neighbourhood; writable</td></tr>
 * <tr><td>WRITE_PROTECTED</td><td>record; writable</td><td>record; writable (a vCPU that has not
 *     reloaded HD yet, or a page without DBM)</td><td>push; writable</td><td>record + arm;
 *     writable</td></tr>
 * <tr><td>SPLIT</td><td>pages keep the block's bits</td><td>… + DBM</td><td>keep</td><td>keep</td></tr>
 * <tr><td>PREFAULT</td><td>read-only</td><td>read-only + DBM (clean)</td><td>read-only</td>
 *     <td>read-only</td></tr>
 * <tr><td>REMAP</td><td colspan="4">record into the log bitmap if hardware-dirty; read-only
 *     (keeps DBM)</td></tr>
 * </table>
 *
 * <p>Exits ({@link #afterExit}): ring at its soft limit → ring-full exit, the exiting vCPU reaps
 * every ring (QEMU's handling of KVM_EXIT_DIRTY_RING_FULL); hdbss buffer full → the exiting vCPU
 * drains its buffer into the log bitmap (the KVM HDBSS patches' buffer-full handler); then the
 * dirty limit, if any, charges the pages this vCPU logged since its last exit.
 *
 * <p>Immutable apart from {@code loggedSinceExit}, whose slot v is confined to vCPU v's thread.
 * None of these modes maps blocks.
 */
final class ModeTracker implements DirtyTracker {
  private final String name;
  private final FaultResponse[] responses = new FaultResponse[FaultKind.values().length];
  private final Stage2DirtyLog log;
  private final VcpuGfnBuffers buffers; // ring or hdbss, else null
  private final boolean hardwareBuffers; // hdbss
  private final DirtyLimit limit; // null: no dirty limit
  private final long exitCostNanos;
  private final long[] loggedSinceExit;

  private ModeTracker(
      String name, Stage2DirtyLog log, VcpuGfnBuffers buffers, boolean hardwareBuffers,
      DirtyLimit limit, long exitCostNanos, int vcpus) {
    this.name = name;
    this.log = log;
    this.buffers = buffers;
    this.hardwareBuffers = hardwareBuffers;
    this.limit = limit;
    this.exitCostNanos = exitCostNanos;
    this.loggedSinceExit = new long[vcpus];
  }

  /** The tracker of SW or HW recording into {@code log}, without buffers or limit (tests). */
  static DirtyTracker of(DirtyLogMode mode, DirtyPageRecorder log) {
    if (mode != DirtyLogMode.SW && mode != DirtyLogMode.HW && mode != DirtyLogMode.OFF)
      throw new IllegalArgumentException("plain tracker only for sw and hw, not " + mode);
    return of(mode, log, null, null, null, 0, 1);
  }

  /**
   * The tracker of {@code mode}: records into {@code log}; {@code buffers} for RING and HDBSS;
   * {@code limit} the dirty limit or null; {@code exitCostNanos} charged per ring-full exit.
   */
  static DirtyTracker of(
      DirtyLogMode mode, Stage2DirtyLog log, VcpuGfnBuffers buffers, DirtyLimit limit,
      long exitCostNanos, int vcpus) {
    return of(mode, log, log, buffers, limit, exitCostNanos, vcpus);
  }

  private static DirtyTracker of(
      DirtyLogMode mode, DirtyPageRecorder rec, Stage2DirtyLog log, VcpuGfnBuffers buffers,
      DirtyLimit limit, long exitCostNanos, int vcpus) {
    if (mode == DirtyLogMode.OFF) return DirtyTracker.OFF;
    ModeTracker t =
        new ModeTracker(mode.cliName(), log, buffers, mode == DirtyLogMode.HDBSS, limit,
            exitCostNanos, vcpus);
    FaultResponse remap = new FaultResponse(0, S2AP_WRITE, rec); // host path: the log bitmap
    switch (mode) {
      case SW: {
        DirtyPageRecorder r = t.counting(rec);
        return t.on(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(r, S2AP_WRITE))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(r, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(0))
            .on(FaultKind.PREFAULT, FaultResponse.set(0))
            .on(FaultKind.REMAP, remap);
      }
      case HDBSS: { // a translation fault maps the page dirty: logged like a fault (no hardware)
        DirtyPageRecorder r = t.counting(rec);
        return t.on(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(r, S2AP_WRITE | DBM))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(r, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(DBM))
            .on(FaultKind.PREFAULT, FaultResponse.set(DBM))
            .on(FaultKind.REMAP, remap);
      }
      case HW: {
        DirtyPageRecorder r = t.counting(rec);
        return t.on(FaultKind.WRITE_MAP, FaultResponse.set(S2AP_WRITE | DBM))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(r, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(DBM))
            .on(FaultKind.PREFAULT, FaultResponse.set(DBM))
            .on(FaultKind.REMAP, remap);
      }
      case RING: {
        DirtyPageRecorder push = t.counting(t::push);
        return t.on(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(push, S2AP_WRITE))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(push, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(0))
            .on(FaultKind.PREFAULT, FaultResponse.set(0))
            .on(FaultKind.REMAP, remap);
      }
      case COMBINED: {
        DirtyPageRecorder arm =
            t.counting(
                (v, gfn) -> {
                  log.markDirty(v, gfn);
                  log.armNeighbourhood(gfn);
                });
        return t.on(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(arm, S2AP_WRITE))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(arm, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(0))
            .on(FaultKind.PREFAULT, FaultResponse.set(0))
            .on(FaultKind.REMAP, remap);
      }
      default:
        throw new IllegalArgumentException("no tracker for " + mode);
    }
  }

  /** Ring push of a vCPU's fault; a host path, or a ring without room, goes to the log bitmap. */
  private void push(int vcpu, long gfn) {
    if (vcpu >= 0 && vcpu < buffers.vcpus() && buffers.push(vcpu, gfn)) return;
    if (vcpu >= 0) buffers.overflows.increment();
    log.markDirty(vcpu, gfn);
  }

  /** Wraps a recorder so that a vCPU's records count towards its dirty limit. */
  private DirtyPageRecorder counting(DirtyPageRecorder r) {
    if (limit == null) return r;
    return (v, gfn) -> {
      r.markDirty(v, gfn);
      if (v >= 0 && v < loggedSinceExit.length) loggedSinceExit[v]++;
    };
  }

  private ModeTracker on(FaultKind kind, FaultResponse r) {
    responses[kind.ordinal()] = r;
    return this;
  }

  @Override
  public FaultResponse respond(FaultKind kind) {
    return responses[kind.ordinal()];
  }

  @Override
  public boolean mapsBlocks() {
    return false;
  }

  @Override
  public boolean hardwareLogHasRoom(int vcpu) {
    return !hardwareBuffers || buffers.hasRoom(vcpu);
  }

  @Override
  public void hardwareLogged(int vcpu, long gfn, int level) {
    if (!hardwareBuffers) return;
    long entry = level == 3 ? gfn : gfn | VcpuGfnBuffers.BLOCK_ENTRY;
    if (!buffers.push(vcpu, entry)) { // cannot happen: room was checked by this thread, the only producer
      buffers.overflows.increment();
      buffers.expand(entry, g -> log.markDirty(vcpu, g));
    }
    if (limit != null) loggedSinceExit[vcpu] += level == 3 ? 1 : 512;
  }

  @Override
  public long afterExit(int vcpu) {
    long owe = 0;
    if (buffers != null) {
      if (hardwareBuffers) {
        if (!buffers.hasRoom(vcpu)) {
          buffers.fullExits.increment();
          log.drainOnBufferFull(vcpu);
        }
      } else if (buffers.atSoftLimit(vcpu)) {
        buffers.fullExits.increment();
        log.reapRings();
        owe += exitCostNanos;
      }
    }
    if (limit != null && vcpu < loggedSinceExit.length) {
      long pages = loggedSinceExit[vcpu];
      loggedSinceExit[vcpu] = 0;
      owe += limit.charge(vcpu, pages, System.nanoTime());
    }
    return owe;
  }

  @Override
  public String toString() {
    return name;
  }
}
