package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;

import io.dbmmigrate.mmu.DirtyPageRecorder;
import io.dbmmigrate.mmu.DirtyTracker;
import io.dbmmigrate.mmu.FaultKind;
import io.dbmmigrate.mmu.FaultResponse;

/**
 * The {@link DirtyTracker} of a logging mode: a table from fault kind to PTE edit and recorder.
 * What the MMU does in each mode is written here, once, as data:
 *
 * <table>
 * <caption>fault kind → PTE edit (recorder called first where marked)</caption>
 * <tr><th>kind</th><th>sw</th><th>hw</th></tr>
 * <tr><td>WRITE_MAP</td><td>record; writable</td><td>writable + DBM (hardware dirty: the next
 *     scan collects it)</td></tr>
 * <tr><td>WRITE_PROTECTED</td><td>record; writable</td><td>record; writable (a vCPU that has not
 *     reloaded HD yet, or a page without DBM)</td></tr>
 * <tr><td>SPLIT</td><td>pages keep the block's bits</td><td>pages keep the block's bits + DBM</td></tr>
 * <tr><td>PREFAULT</td><td>read-only</td><td>read-only + DBM (clean)</td></tr>
 * <tr><td>REMAP</td><td>record if hw-dirty; read-only</td><td>record if hw-dirty; read-only
 *     (keeps DBM)</td></tr>
 * </table>
 *
 * Neither maps blocks. Immutable; the recorder (the log's bitmap) is thread-safe.
 */
final class ModeTracker implements DirtyTracker {
  private final String name;
  private final FaultResponse[] responses = new FaultResponse[FaultKind.values().length];

  private ModeTracker(String name) {
    this.name = name;
  }

  /** The tracker of {@code mode} (SW or HW) recording into {@code log}. */
  static DirtyTracker of(DirtyLogMode mode, DirtyPageRecorder log) {
    switch (mode) {
      case OFF:
        return DirtyTracker.OFF;
      case SW:
        return new ModeTracker("sw")
            .on(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(log, S2AP_WRITE))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(log, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(0))
            .on(FaultKind.PREFAULT, FaultResponse.set(0))
            .on(FaultKind.REMAP, new FaultResponse(0, S2AP_WRITE, log));
      case HW:
        return new ModeTracker("hw")
            .on(FaultKind.WRITE_MAP, FaultResponse.set(S2AP_WRITE | DBM))
            .on(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(log, S2AP_WRITE))
            .on(FaultKind.SPLIT, FaultResponse.set(DBM))
            .on(FaultKind.PREFAULT, FaultResponse.set(DBM))
            .on(FaultKind.REMAP, new FaultResponse(0, S2AP_WRITE, log));
      default:
        throw new IllegalArgumentException("no tracker for " + mode);
    }
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
  public String toString() {
    return name;
  }
}
