package io.dbmmigrate.dirty;

import io.dbmmigrate.vcpu.StorePattern;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test store pattern in the style of the kernel's dirty_log_test: every store writes, at offset 0,
 * {@code generation << 40 | vcpu << 32 | (seq & 0xffffffff)}, where the generation is read inside
 * the store window (after translation). Every store changes the page; the generation tells the
 * oracle whether the store started before the current sync.
 */
public final class GenerationStorePattern implements StorePattern {
  private final AtomicLong generation = new AtomicLong();

  public void setGeneration(long g) {
    generation.set(g);
  }

  public long generation() {
    return generation.get();
  }

  public static long generationOf(long value) {
    return value >>> 40;
  }

  @Override
  public int offsetOf(int vcpu, long gfn, long seq) {
    return 0;
  }

  @Override
  public long valueAt(int vcpu, long gfn, long seq) {
    return (generation.get() << 40) | ((long) vcpu << 32) | (seq & 0xFFFF_FFFFL);
  }
}
