package io.dbmmigrate.vcpu;

import io.dbmmigrate.mmu.StoreValue;

/**
 * Where in a page a vCPU's store goes and what it writes. Each store stands for the guest writing
 * one page; the simulation writes 8 real bytes of it. The value is computed inside the store window,
 * after translation (see {@link StoreValue}). Tests plug in their own (e.g. generation numbers).
 */
public interface StorePattern extends StoreValue {
  /** Byte offset within the page, a multiple of 8 below 4096. */
  int offsetOf(int vcpu, long gfn, long seq);

  /**
   * The default: offsets cycle through the page; the value {@code (vcpu + 1) << 48 | (seq + 1)} is
   * unique per store, so every store changes the page.
   */
  static StorePattern standard() {
    return Standard.INSTANCE;
  }

  /** The default pattern (stateless). */
  final class Standard implements StorePattern {
    static final Standard INSTANCE = new Standard();

    private Standard() {}

    @Override
    public int offsetOf(int vcpu, long gfn, long seq) {
      return (int) ((seq & 511) << 3);
    }

    @Override
    public long valueAt(int vcpu, long gfn, long seq) {
      return ((long) (vcpu + 1) << 48) | ((seq + 1) & 0xFFFF_FFFF_FFFFL);
    }
  }
}
