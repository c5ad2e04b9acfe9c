package io.dbmmigrate.source.transport;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out chunks of a round's gfn bitmap to the page streams, so that streams share the work
 * dynamically (a fast stream takes more chunks). One per round.
 *
 * <p>Concurrency: {@link #claim} is a getAndAdd on an atomic; every word index is claimed by
 * exactly one stream.
 */
final class BitmapCursor {
  /** 64 words = 4096 pages = 16 MiB of guest memory per claim. */
  static final int CHUNK_WORDS = 64;

  private final AtomicInteger next = new AtomicInteger();
  private final int words;

  BitmapCursor(int words) {
    this.words = words;
  }

  /** First word index of the next chunk, or -1 when none is left. */
  int claim() {
    int start = next.getAndAdd(CHUNK_WORDS);
    return start < words ? start : -1;
  }

  int end(int start) {
    return Math.min(words, start + CHUNK_WORDS);
  }
}
