package io.dbmmigrate.dirty;

import static io.dbmmigrate.mmu.Descriptor.HW_DIRTY_BITS;
import static io.dbmmigrate.mmu.Descriptor.S2AP_WRITE;
import static io.dbmmigrate.mmu.Descriptor.TABLE_OR_PAGE;

import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.Stage2PageTable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The combined SW/HW mode's armed neighbourhoods of one writable slot: one bit per aligned group of
 * 64 pages (one word of the slot's dirty bitmap, one 512-byte run of PTEs), set when a write fault
 * in the group armed DBM on its pages. A sync scans only armed groups, so its cost follows the
 * written working set, not the guest size (the RFCs' claim, and their trade: the first write to a
 * group still faults, then arms 64 PTEs).
 *
 * <h2>Concurrency contract</h2>
 *
 * <table>
 * <caption>who touches what</caption>
 * <tr><th>operation</th><th>by</th><th>access</th></tr>
 * <tr><td>{@link #arm}</td><td>fault handlers (vCPU threads, MMU lock shared)</td><td>armed bit by
 *     getAndBitwiseOr <em>before</em> the PTEs get DBM (a scan that can see a DBM bit of the group
 *     can see its armed bit: release/acquire through the PTE CAS and the scan's acquire read)</td></tr>
 * <tr><td>{@link #scan}</td><td>sync (control thread)</td><td>armed word opaque, each PTE acquire,
 *     write bit cleared by CAS after the page is recorded in the caller's bitmap</td></tr>
 * <tr><td>{@link #clearAll}</td><td>enable, disable (control thread, no fault handler runs with a
 *     combined tracker then)</td><td>volatile stores</td></tr>
 * </table>
 *
 * A group armed after the scan passed it: its pages hardware-dirtied before were written through a
 * fault first (logged in the bitmap), or are dirty in the next scan.
 */
final class DbmNeighbourhoods {
  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long baseGfn;
  private final long endGfn;
  private final long[] armed; // bit g: group g (pages baseGfn + 64g ..) armed
  private final boolean forgetsToMark; // broken variant: DBM armed, group not marked

  DbmNeighbourhoods(long baseGfn, long pages, boolean forgetsToMark) {
    this.baseGfn = baseGfn;
    this.endGfn = baseGfn + pages;
    long groups = (pages + 63) >>> 6;
    this.armed = new long[(int) ((groups + 63) >>> 6)];
    this.forgetsToMark = forgetsToMark;
  }

  /** Fault handler: marks gfn's group armed, then sets DBM on its valid pages. */
  void arm(Stage2Mmu mmu, long gfn) {
    long group = (gfn - baseGfn) >>> 6;
    int w = (int) (group >>> 6);
    long bit = 1L << (group & 63);
    if (((long) WORDS.getOpaque(armed, w) & bit) != 0) return; // armed already
    if (!forgetsToMark) WORDS.getAndBitwiseOr(armed, w, bit);
    long first = baseGfn + (group << 6);
    mmu.armDbmWord(first, Math.min(first + 64, endGfn));
  }

  /**
   * Step 1 of the combined harvest: every hardware-dirty page of every armed group is recorded in
   * {@code out} (gfn-indexed, owned by the call), then its write bit is cleared by CAS (DBM kept:
   * the page stays armed). Returns {@code visited << 32 | dirty}-free counts through {@code counts}
   * ({@code [0]} PTEs visited, {@code [1]} pages newly recorded).
   */
  void scan(Stage2PageTable pt, long[] out, long[] counts) {
    for (int w = 0; w < armed.length; w++) {
      long a = (long) WORDS.getOpaque(armed, w);
      while (a != 0) {
        long group = ((long) w << 6) + Long.numberOfTrailingZeros(a);
        a &= a - 1;
        long first = baseGfn + (group << 6);
        long packed = pt.lookup(first);
        if (Stage2PageTable.lookupLevel(packed) != 3) continue; // unmapped: nothing dirty there
        int index0 = Stage2PageTable.lookupIndex(packed);
        int n = (int) Math.min(64, endGfn - first);
        long found = 0;
        for (int k = 0; k < n; k++) {
          if ((pt.get(index0 + k) & HW_DIRTY_BITS) == HW_DIRTY_BITS) found |= 1L << k;
        }
        counts[0] += n;
        if (found == 0) continue;
        int ow = (int) (first >>> 6); // first is 64-aligned: slot bases are
        long old = (long) WORDS.getAndBitwiseOr(out, ow, found); // record ...
        counts[1] += Long.bitCount(found & ~old);
        for (long m = found; m != 0; m &= m - 1) { // ... then clear the write bit by CAS
          int k = Long.numberOfTrailingZeros(m);
          pt.update(index0 + k, HW_DIRTY_BITS | TABLE_OR_PAGE, S2AP_WRITE, 0);
        }
      }
    }
  }

  /** Groups armed (reports). */
  long armedGroups() {
    long n = 0;
    for (int w = 0; w < armed.length; w++) n += Long.bitCount((long) WORDS.getOpaque(armed, w));
    return n;
  }

  void clearAll() {
    for (int w = 0; w < armed.length; w++) WORDS.setVolatile(armed, w, 0L);
  }
}
