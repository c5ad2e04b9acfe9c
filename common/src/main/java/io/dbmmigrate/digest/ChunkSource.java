package io.dbmmigrate.digest;

import java.security.MessageDigest;

/**
 * What the tree digest hashes, chunk by chunk: guest memory at rest ({@link MemoryChunkSource}) or
 * a write-protect snapshot of a running guest (the snapshot decides how a chunk is read while
 * vCPUs may write). Chunks are independent: {@link #hashChunk} is called from several threads, at
 * most once per chunk per digest.
 */
public interface ChunkSource {
  ChunkLayout layout();

  /**
   * Feeds the bytes of chunk i (never-written pages as zeros) to md, or returns false without
   * touching md when the whole chunk reads as zeros (the caller then uses the precomputed digest
   * of a zero chunk: a sparse guest hashes at the speed of its bitmap).
   *
   * @param cursor a per-thread cursor from {@link #newCursor()}
   */
  boolean hashChunk(int chunk, Cursor cursor, MessageDigest md);

  /** Per-thread state (page views, a bounce buffer); not thread-safe. */
  Cursor newCursor();

  /** Per-thread reading state of a source. */
  interface Cursor {}
}
