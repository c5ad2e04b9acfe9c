package io.dbmmigrate.mmu;

/**
 * The deliberately broken MMU variants, for tests only (this class lives in the test tree; the enum
 * behind it is package-private, so production code cannot select one).
 */
public final class BrokenMmus {
  private BrokenMmus() {}

  /** TLB invalidation returns without waiting for in-flight stores. */
  public static MmuVariant invalidationDoesNotWait() {
    return MmuVariant.of(BrokenVariant.INVALIDATION_DOES_NOT_WAIT);
  }

  /** Page aging clears AF with a plain read-modify-write store. */
  public static MmuVariant afClearedByPlainStore() {
    return MmuVariant.of(BrokenVariant.AF_CLEAR_PLAIN_STORE);
  }

  /** Unmap/remap does not save the hardware-dirty state of the PTE it replaces. */
  public static MmuVariant replaceWithoutSavingDirty() {
    return MmuVariant.of(BrokenVariant.REPLACE_WITHOUT_SAVING_DIRTY);
  }

  /** A translation fault on ROM maps it with the DBM bit of the mode's clean mapping. */
  public static MmuVariant romDbmOnTranslationFault() {
    return MmuVariant.of(BrokenVariant.ROM_DBM_ON_TRANSLATION_FAULT);
  }

  /** A host split of a 2 MiB block write-protects its pages, dropping a hardware-dirty state. */
  public static MmuVariant splitDropsDirty() {
    return MmuVariant.of(BrokenVariant.SPLIT_DROPS_DIRTY);
  }
}
