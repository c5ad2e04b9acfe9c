package io.dbmmigrate.dest;

import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.InboundBatch;

/**
 * What one page-batch call (a {@link PageStream}) has applied, for the
 * {@link StreamSummary} that ends it. Not thread-safe: one call's callbacks come one at a time.
 */
final class StreamTally {
  private long batches;
  private long pages;
  private long bytes;

  /** Counts a batch that was applied. */
  void applied(PageBatch header, InboundBatch inbound) {
    batches++;
    pages += header.getPageCount();
    bytes += inbound.payloadBytes();
  }

  StreamSummary summary() {
    return StreamSummary.newBuilder().setBatches(batches).setPages(pages).setBytes(bytes).build();
  }
}
