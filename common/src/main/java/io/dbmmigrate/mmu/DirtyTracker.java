package io.dbmmigrate.mmu;

import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;

/**
 * The dirty-log mode as the MMU sees it: a strategy the MMU asks, per {@link FaultKind}, which PTE
 * attributes to set or clear and whom to call. The MMU knows no modes; the dirty log installs one
 * tracker per mode ({@link Stage2Mmu#setTracker}) and the fault handlers follow it.
 *
 * <p>The seam for the modes to come: {@code ring} answers {@link FaultKind#WRITE_PROTECTED} with
 * a recorder that pushes (vcpu, gfn) into the vCPU's ring; {@code combined} answers it with a
 * recorder that also arms DBM on the page's 64-page neighbourhood (through {@link
 * Stage2Mmu#writeProtectWord}); {@code hdbss} answers like {@code hw} and adds a hardware
 * recorder to the store path. What stays in the MMU, whatever the tracker says: ROM is mapped
 * read-only without DBM; records happen before the PTE change they justify; all PTE changes are
 * CAS.
 *
 * <p>Concurrency: a tracker is immutable and shared by all fault handlers; its recorders must be
 * thread-safe.
 */
public interface DirtyTracker {
  /** What to do on {@code kind}. Must not return null. */
  FaultResponse respond(FaultKind kind);

  /**
   * True when write faults may map 2 MiB blocks on THP backing and a permission fault on a block
   * relaxes the block in place (logging off); false splits blocks on write (logging on).
   */
  boolean mapsBlocks();

  /** Logging off: pages and blocks mapped writable, nothing recorded. */
  DirtyTracker OFF =
      new DirtyTracker() {
        private final FaultResponse writable = FaultResponse.set(S2AP_WRITE);
        private final FaultResponse none = FaultResponse.set(0);

        @Override
        public FaultResponse respond(FaultKind kind) {
          switch (kind) {
            case WRITE_MAP:
            case WRITE_PROTECTED:
            case PREFAULT:
              return writable;
            default:
              return none;
          }
        }

        @Override
        public boolean mapsBlocks() {
          return true;
        }

        @Override
        public String toString() {
          return "off";
        }
      };
}
