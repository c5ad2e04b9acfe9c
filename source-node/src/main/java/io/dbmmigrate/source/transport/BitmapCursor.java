package io.dbmmigrate.source.transport;

import io.dbmmigrate.source.migration.HarvestBitmap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out chunks of a round's published harvest to the page streams, so that streams share the
 * work dynamically (a fast stream takes more chunks). One per round.
 *
 * <p>Concurrency: {@link #claim} is a getAndAdd on an atomic; every word index is claimed by
 * exactly one stream. The words themselves are read-only while the round is published (see {@link
 * HarvestBitmap}), so {@link #word} is a plain read.
 */
final class BitmapCursor {
  /** 64 words = 4096 pages = 16 MiB of guest memory per claim. */
  static final int CHUNK_WORDS = 64;

  private final AtomicInteger next = new AtomicInteger();
  private final HarvestBitmap.Round harvest;
  private final int words;

  BitmapCursor(HarvestBitmap.Round harvest) {
    this.harvest = harvest;
    this.words = harvest.wordCount();
  }

  /** First word index of the next chunk, or -1 when none is left. */
  int claim() {
    if (!harvest.isLive()) throw new IllegalStateException("round's harvest bitmap was already cleared");
    int start = next.getAndAdd(CHUNK_WORDS);
    return start < words ? start : -1;
  }

  int end(int start) {
    return Math.min(words, start + CHUNK_WORDS);
  }

  /** Word {@code w} of the harvest (plain read: the harvest is read-only while published). */
  long word(int w) {
    return harvest.word(w);
  }
}
