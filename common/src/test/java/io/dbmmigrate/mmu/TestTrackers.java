package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.DBM;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;

import java.util.EnumMap;
import java.util.Map;

/**
 * Trackers for the MMU's own tests, which must not reach up into the dirty package: the same
 * tables as the dirty log's software and hardware modes, written out here.
 */
final class TestTrackers {
  private TestTrackers() {}

  static DirtyTracker sw(DirtyPageRecorder r) {
    Map<FaultKind, FaultResponse> m = new EnumMap<>(FaultKind.class);
    m.put(FaultKind.WRITE_MAP, FaultResponse.recordThenSet(r, S2AP_WRITE));
    m.put(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(r, S2AP_WRITE));
    m.put(FaultKind.SPLIT, FaultResponse.set(0));
    m.put(FaultKind.PREFAULT, FaultResponse.set(0));
    m.put(FaultKind.REMAP, new FaultResponse(0, S2AP_WRITE, r));
    return table(m);
  }

  static DirtyTracker hw(DirtyPageRecorder r) {
    Map<FaultKind, FaultResponse> m = new EnumMap<>(FaultKind.class);
    m.put(FaultKind.WRITE_MAP, FaultResponse.set(S2AP_WRITE | DBM));
    m.put(FaultKind.WRITE_PROTECTED, FaultResponse.recordThenSet(r, S2AP_WRITE));
    m.put(FaultKind.SPLIT, FaultResponse.set(DBM));
    m.put(FaultKind.PREFAULT, FaultResponse.set(DBM));
    m.put(FaultKind.REMAP, new FaultResponse(0, S2AP_WRITE, r));
    return table(m);
  }

  private static DirtyTracker table(Map<FaultKind, FaultResponse> m) {
    return new DirtyTracker() {
      @Override
      public FaultResponse respond(FaultKind kind) {
        return m.get(kind);
      }

      @Override
      public boolean mapsBlocks() {
        return false;
      }
    };
  }
}
