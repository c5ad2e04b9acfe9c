package io.dbmmigrate.snapshot;

import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;

import io.dbmmigrate.mmu.DirtyPageRecorder;
import io.dbmmigrate.mmu.DirtyTracker;
import io.dbmmigrate.mmu.FaultKind;
import io.dbmmigrate.mmu.FaultResponse;

/**
 * The MMU's view of a {@link WriteProtectSnapshot}: a write fault (a translation fault on a write,
 * a permission fault on a write-protected page) calls the snapshot <em>before</em> the PTE becomes
 * writable, so that the page's content as of the snapshot is saved first; blocks are never mapped
 * (a write-protected block is split and its pages stay read-only); a pre-faulted page is mapped
 * read-only; a host remap drops the write permission (the next write faults and is recorded).
 *
 * <p>Concurrency: immutable; the recorder (the snapshot) is thread-safe.
 */
final class SnapshotTracker implements DirtyTracker {
  private final FaultResponse[] responses = new FaultResponse[FaultKind.values().length];

  SnapshotTracker(DirtyPageRecorder beforeWrite) {
    FaultResponse recordThenWrite = FaultResponse.recordThenSet(beforeWrite, S2AP_WRITE);
    responses[FaultKind.WRITE_MAP.ordinal()] = recordThenWrite;
    responses[FaultKind.WRITE_PROTECTED.ordinal()] = recordThenWrite;
    responses[FaultKind.SPLIT.ordinal()] = FaultResponse.set(0);
    responses[FaultKind.PREFAULT.ordinal()] = FaultResponse.set(0);
    responses[FaultKind.REMAP.ordinal()] = new FaultResponse(0, S2AP_WRITE, null);
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
    return "write-protect snapshot";
  }
}
