package io.dbmmigrate.dest;

/**
 * The receiver states documented in target.proto: IDLE → RECEIVING → VERIFYING → RESUMED, or back
 * to IDLE after an abort, mismatch, incomplete transfer or lost source.
 */
public enum ReceiverState {
  /** No session; no VM received here is hosted (a VM hosted by other means may run). */
  IDLE,
  /** A session is open and page batches are applied. */
  RECEIVING,
  /** Commit is checking completeness and hashing guest memory; no batch is applied any more. */
  VERIFYING,
  /** Post-copy: the VM runs here while pages still arrive; an URGENT channel is connected. */
  POSTCOPY,
  /** Post-copy without a connected channel (cut link): vCPUs touching missing pages wait. */
  POSTCOPY_PAUSED,
  /** The last session's VM was verified and is hosted (running, or paused when asked). */
  RESUMED
}
