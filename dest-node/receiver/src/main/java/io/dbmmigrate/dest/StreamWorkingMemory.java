package io.dbmmigrate.dest;

/**
 * The working memory of one page-batch call (a {@link PageStream}):
 * reserved from the node's {@link InboundBudget} when the call binds to its session, released once
 * when it ends. Not thread-safe: one call's callbacks come one at a time.
 */
final class StreamWorkingMemory {
  private final InboundBudget budget;
  private long reservedBytes;

  StreamWorkingMemory(InboundBudget budget) {
    this.budget = budget;
  }

  /** Reserves what a call with batches up to maxBatchBytes needs; NO_CAPACITY when it does not fit. */
  void reserveFor(int maxBatchBytes) throws TargetException {
    long need = ReceiveFootprint.workingBytes(maxBatchBytes);
    if (!budget.tryReserve(need))
      throw new TargetException(
          ReceiveError.NO_CAPACITY,
          "this node's inbound buffers are in use (" + budget.capacityBytes() + " bytes, --max-inflight-bytes)");
    reservedBytes = need;
  }

  /** Gives the reservation back (idempotent). */
  void release() {
    if (reservedBytes > 0) {
      budget.release(reservedBytes);
      reservedBytes = 0;
    }
  }
}
