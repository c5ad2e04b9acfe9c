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

  // ---- Extension for the modes that log without a fault or exit when full (ring, hdbss). The
  //      defaults are those of sw, hw and combined: no hardware log, nothing to do at an exit.

  /**
   * FEAT_HDBSS: whether vCPU {@code vcpu}'s hardware dirty-state buffer has room for one more
   * entry. Asked on the store path, inside the store window, on the vCPU's own thread, before the
   * hardware sets S2AP[1] of a clean DBM page; false makes the store take a buffer-full exit
   * instead ({@link #afterExit} drains it, then the store is retried). Must not block.
   */
  default boolean hardwareLogHasRoom(int vcpu) {
    return true;
  }

  /**
   * FEAT_HDBSS: the hardware has just set S2AP[1] of a PTE through DBM (the first write to a
   * clean granule): append it to the vCPU's buffer. {@code gfn} is the first page of the granule,
   * {@code level} its level (3: a page; 2: a 2 MiB block, all of whose 512 pages are now dirty).
   * Store path, vCPU thread, inside the store window, after the CAS that made the PTE writable.
   * Must not block or allocate.
   */
  default void hardwareLogged(int vcpu, long gfn, int level) {}

  /**
   * A VM exit of vCPU {@code vcpu} has been handled (a stage-2 fault, or a buffer-full exit): the
   * tracker serves a ring-full or buffer-full exit here (harvesting, which may take the MMU lock
   * exclusively and invalidate the TLB) and applies a dirty-rate limit. Called on the vCPU's
   * thread, outside the store window and the MMU lock.
   *
   * @return guest nanoseconds the vCPU owes for this exit (exit cost, throttle), 0 for none
   */
  default long afterExit(int vcpu) {
    return 0;
  }

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
