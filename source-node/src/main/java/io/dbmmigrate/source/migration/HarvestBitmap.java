package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.Arrays;

/**
 * The gfn bitmap one pre-copy round harvests into and sends from (bit {@code gfn & 63} of word
 * {@code gfn >>> 6}, sized for {@code GuestMemory.gfnLimit()} bits). It has one owner, the
 * controller thread, and a cycle of three states that say who may touch the words when:
 *
 * <pre>
 *   FILLING ──publish()──▶ PUBLISHED ──clear()──▶ FILLING
 *   (writers: the owner,    (readers: page streams,
 *    or the dirty log        plain reads; writers: none)
 *    inside one call)
 * </pre>
 *
 * <ol>
 *   <li>FILLING: {@link #setAllPages}, {@link #sync} and {@link #switchToSoftware} write the words;
 *       a dirty-log call owns them until it returns (its parallel scan uses plain stores, see
 *       {@link DirtyLog#sync}). Nobody else reads them.
 *   <li>{@link #publish} hands a read-only {@link Round} to the page streams. The words were
 *       written before the hand-off (the executor submit that starts each stream is a
 *       happens-before edge), and none is written while the round is out, so streams read them
 *       plainly.
 *   <li>{@link #clear} is called by the owner after every stream returned (the join is the second
 *       happens-before edge); it zeroes the words and invalidates the published view, so a stale
 *       view fails loudly instead of reading the next harvest.
 * </ol>
 *
 * State checks run per call (not per word): the hot loop in the page streams reads {@link
 * Round#word} with a plain array load.
 */
public final class HarvestBitmap {
  private final long[] words;
  private Round published; // controller thread only; null while FILLING

  private HarvestBitmap(int words) {
    this.words = new long[words];
  }

  public static HarvestBitmap forMemory(GuestMemory mem) {
    return new HarvestBitmap((int) ((mem.gfnLimit() + 63) >>> 6));
  }

  /** For tests and tools that build a bitmap by hand: room for {@code gfnLimit} gfns. */
  public static HarvestBitmap forGfnLimit(long gfnLimit) {
    return new HarvestBitmap((int) ((gfnLimit + 63) >>> 6));
  }

  /** Round 0: every gfn of every slot. */
  public void setAllPages(GuestMemory mem) {
    requireFilling();
    for (MemorySlotSpec s : mem.slots()) setRange(s.baseGfn(), s.endGfn());
  }

  /** Sets bits [from, to). */
  public void setRange(long from, long to) {
    requireFilling();
    for (long g = from; g < to; ) {
      int w = (int) (g >>> 6);
      int bit = (int) (g & 63);
      if (bit == 0 && to - g >= 64) {
        words[w] = -1L;
        g += 64;
      } else {
        words[w] |= 1L << bit;
        g++;
      }
    }
  }

  /** Harvests the pages dirtied since the previous sync (the dirty log owns the words meanwhile). */
  public SyncStats sync(DirtyLog log) {
    requireFilling();
    return log.sync(words);
  }

  /** Harvests with the hardware → software switch (the dirty log owns the words meanwhile). */
  public SyncStats switchToSoftware(DirtyLog log) {
    requireFilling();
    return log.switchToSoftware(words);
  }

  /** Pages set; owner only, in either state. */
  public long count() {
    long n = 0;
    for (long w : words) n += Long.bitCount(w);
    return n;
  }

  /** FILLING → PUBLISHED: the read-only view the page streams send from. */
  public Round publish() {
    requireFilling();
    published = new Round(words);
    return published;
  }

  /** PUBLISHED (every stream returned) or FILLING → FILLING with every bit clear. */
  public void clear() {
    if (published != null) {
      published.retired = true;
      published = null;
    }
    Arrays.fill(words, 0L);
  }

  private void requireFilling() {
    if (published != null)
      throw new IllegalStateException("harvest bitmap is published to the page streams; clear() it first");
  }

  /**
   * One round's published harvest: read-only, shared by every page stream of the round. Reads are
   * plain (see the class comment for why that is correct).
   */
  public static final class Round {
    private final long[] words;
    private boolean retired; // written by the owner after the streams joined; checked per claim

    private Round(long[] words) {
      this.words = words;
    }

    public int wordCount() {
      return words.length;
    }

    /** Word {@code w}: bits for gfns {@code 64w .. 64w+63}. */
    public long word(int w) {
      return words[w];
    }

    /** False once the owner cleared the bitmap (a stream holding it is a bug). */
    public boolean isLive() {
      return !retired;
    }

    public long count() {
      long n = 0;
      for (long w : words) n += Long.bitCount(w);
      return n;
    }
  }
}
