package io.dbmmigrate.source.migration;

/**
 * Receives transfer progress from the page streams (called from stream threads, once per batch).
 * Implementations must be thread-safe and must not block.
 */
@FunctionalInterface
public interface ProgressSink {
  /** A batch of {@code pages} page records with {@code wireBytes} payload bytes was handed to gRPC. */
  void batchSent(int pages, long wireBytes);

  ProgressSink NONE = (p, b) -> {};
}
