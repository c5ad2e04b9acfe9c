package io.dbmmigrate.mmu;

/**
 * The 8-byte value a guest store writes, computed inside the store window after translation (so a
 * value that encodes a generation read here is ordered with the translation it used).
 */
@FunctionalInterface
public interface StoreValue {
  long valueAt(int vcpu, long gfn, long seq);
}
