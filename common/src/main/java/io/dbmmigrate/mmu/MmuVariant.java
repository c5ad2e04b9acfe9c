package io.dbmmigrate.mmu;

/**
 * Which MMU implementation a VM gets. Production code can only name {@link #CORRECT}; the broken
 * variants are reachable from tests only (via the package-private {@link BrokenVariant}).
 */
public final class MmuVariant {
  public static final MmuVariant CORRECT = new MmuVariant(BrokenVariant.NONE);

  final BrokenVariant broken;

  private MmuVariant(BrokenVariant broken) {
    this.broken = broken;
  }

  static MmuVariant of(BrokenVariant broken) {
    return broken == BrokenVariant.NONE ? CORRECT : new MmuVariant(broken);
  }

  @Override
  public String toString() {
    return broken.name();
  }
}
