package io.dbmmigrate.dest;

import io.dbmmigrate.wire.PageBatchFormat;

/**
 * Heap a page stream needs, as a function of the session's batch size; BeginSession refuses a
 * session whose streams cannot all hold it within the node's {@link InboundBudget}.
 *
 * <pre>
 *   per open SendPages call  = working memory                   + the message being applied
 *   working memory           = maxBatch (decompression buffer) + maxBatch/8 records x 12 bytes (index)
 * </pre>
 *
 * The message is counted at the node's largest inbound message size (a batch plus framing).
 * Conservative: an uncompressed batch needs no decompression buffer.
 */
final class ReceiveFootprint {
  private ReceiveFootprint() {}

  /** Working memory of one open page stream decoding batches of up to maxBatchBytes. */
  static long workingBytes(int maxBatchBytes) {
    long records = maxBatchBytes / PageBatchFormat.HEADER_BYTES;
    return maxBatchBytes + records * (Long.BYTES + Integer.BYTES);
  }

  /** One open stream with one message in hand. */
  static long perStreamBytes(int maxBatchBytes, int maxInboundMessageBytes) {
    return workingBytes(maxBatchBytes) + maxInboundMessageBytes;
  }
}
