package io.dbmmigrate.dirty;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The dirty bitmap of one memory slot (KVM's {@code memslot->dirty_bitmap}): bit {@code k & 63}
 * of word {@code k >>> 6} for page {@code baseGfn + k}.
 *
 * <h2>Concurrency contract</h2>
 *
 * <table>
 * <caption>who touches the bits, how</caption>
 * <tr><th>operation</th><th>by</th><th>access</th></tr>
 * <tr><td>{@link #set}</td><td>fault handlers, PTE replacements (any thread)</td>
 *     <td>opaque read; getAndBitwiseOr only if clear</td></tr>
 * <tr><td>{@link #takeWord}</td><td>sync (control thread)</td><td>getAndSet(0)</td></tr>
 * <tr><td>{@link #clearBits}</td><td>manual clear (control thread)</td><td>getAndBitwiseAnd</td></tr>
 * <tr><td>{@link #word}</td><td>sync, get (control thread)</td><td>opaque; the harvest reads only
 *     after the MMU's harvest barrier, so every bit set by a fault handler or replacement that
 *     finished before it is visible (happens-before through the MMU lock); a bit set later belongs
 *     to the next harvest</td></tr>
 * </table>
 */
public final class DirtyBitmap {
  static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long baseGfn;
  private final long pages;
  private final long[] words;

  public DirtyBitmap(long baseGfn, long pages) {
    if ((baseGfn & 63) != 0) throw new IllegalArgumentException("slot base gfn must be 64-aligned");
    this.baseGfn = baseGfn;
    this.pages = pages;
    this.words = new long[(int) ((pages + 63) >>> 6)];
  }

  public long baseGfn() {
    return baseGfn;
  }

  public long pages() {
    return pages;
  }

  public int wordCount() {
    return words.length;
  }

  long[] words() {
    return words;
  }

  /** Index of gfn's word in a whole-guest gfn bitmap. */
  public int globalWord(int w) {
    return (int) (baseGfn >>> 6) + w;
  }

  public void set(long gfn) {
    long rel = gfn - baseGfn;
    int w = (int) (rel >>> 6);
    long m = 1L << (rel & 63);
    if (((long) WORDS.getOpaque(words, w) & m) == 0) WORDS.getAndBitwiseOr(words, w, m);
  }

  /**
   * Sets gfn's bit unconditionally by an atomic OR (a release): for writers that stored to the page
   * before (a device's DMA), so that a harvest that takes the bit (getAndSet, an acquire) sees the
   * store. The conditional {@link #set} would skip the OR when the bit is already set, and a
   * harvest taking it just then might not see this store.
   */
  public void setAfterStore(long gfn) {
    long rel = gfn - baseGfn;
    WORDS.getAndBitwiseOr(words, (int) (rel >>> 6), 1L << (rel & 63));
  }

  public boolean isSet(long gfn) {
    long rel = gfn - baseGfn;
    return (((long) WORDS.getOpaque(words, (int) (rel >>> 6)) >>> (rel & 63)) & 1) != 0;
  }

  public long word(int w) {
    return (long) WORDS.getOpaque(words, w);
  }

  /** Atomically takes word w, leaving zero. */
  public long takeWord(int w) {
    return (long) WORDS.getAndSet(words, w, 0L);
  }

  /** Atomically clears {@code mask} in word w; returns the old word. */
  public long clearBits(int w, long mask) {
    return (long) WORDS.getAndBitwiseAnd(words, w, ~mask);
  }

  /** Bits of word w that lie inside the slot. */
  public long validMask(int w) {
    long left = pages - ((long) w << 6);
    return left >= 64 ? -1L : (1L << left) - 1;
  }

  /** Every page dirty (KVM_DIRTY_LOG_INITIALLY_SET). */
  public void setAll() {
    for (int w = 0; w < words.length; w++) WORDS.setVolatile(words, w, validMask(w));
  }

  public void clearAll() {
    for (int w = 0; w < words.length; w++) WORDS.setVolatile(words, w, 0L);
  }

  public long cardinality() {
    long n = 0;
    for (int w = 0; w < words.length; w++) n += Long.bitCount(word(w));
    return n;
  }
}
