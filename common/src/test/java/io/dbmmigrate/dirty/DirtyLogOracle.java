package io.dbmmigrate.dirty;

import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The KVM dirty_log_test oracle, sharpened with generations. Used with {@link
 * GenerationStorePattern}: before sync N the test sets the generation to N. After sync N returns
 * with the collected set B(N), for every RAM page p with current content v:
 *
 * <ul>
 *   <li>p in B(N): the test "copies" it: shadow[p] = v; nothing pending.
 *   <li>p not in B(N) and pending[p] (its content had changed at check N-1 without being
 *       collected): LOST — that change happened before sync N started.
 *   <li>p not in B(N), v != shadow[p] and generation(v) &lt; N: LOST — the store read the
 *       generation, inside its store window, before sync N started, so its translation predates
 *       sync N's harvest.
 *   <li>p not in B(N), v != shadow[p], generation N: the store may have come after the harvest;
 *       pending: it must be in B(N+1).
 * </ul>
 *
 * The first check (before any sync, right after enable) only takes the shadow.
 */
final class DirtyLogOracle {
  private final ChunkedGuestMemory memory;
  private final MemorySlotSpec ram;
  private final long[] shadow;
  private final boolean[] pending;
  private final List<String> lost = new ArrayList<>();
  long checks;
  long collected;

  DirtyLogOracle(ChunkedGuestMemory memory, MemorySlotSpec ram) {
    this.memory = memory;
    this.ram = ram;
    this.shadow = new long[(int) ram.pageCount()];
    this.pending = new boolean[(int) ram.pageCount()];
  }

  /** Round 0: copy everything (the engine sends all pages once after enable). */
  void copyAll() {
    for (int i = 0; i < shadow.length; i++) shadow[i] = memory.readLong(ram.baseGfn() + i, 0);
  }

  /** After sync number {@code n} returned {@code collected} (gfn-indexed bitmap). */
  void check(long n, long[] collectedBitmap) {
    checks++;
    for (int i = 0; i < shadow.length; i++) {
      long gfn = ram.baseGfn() + i;
      boolean in = ((collectedBitmap[(int) (gfn >>> 6)] >>> (gfn & 63)) & 1) != 0;
      long v = memory.readLong(gfn, 0);
      if (in) {
        collected++;
        shadow[i] = v;
        pending[i] = false;
        continue;
      }
      if (pending[i]) {
        lost("sync " + n + ": page " + gfn + " changed before sync " + n + " began, not collected");
        pending[i] = false;
        shadow[i] = v;
        continue;
      }
      if (v != shadow[i]) {
        long g = GenerationStorePattern.generationOf(v);
        if (g < n) {
          lost("sync " + n + ": page " + gfn + " holds generation " + g + " (value " + Long.toHexString(v)
              + "), not collected");
          shadow[i] = v;
        } else {
          pending[i] = true;
        }
      }
    }
  }

  private void lost(String what) {
    if (lost.size() < 20) lost.add(what);
    else if (lost.size() == 20) lost.add("...");
    lostCount++;
  }

  long lostCount;

  List<String> lost() {
    return lost;
  }
}
