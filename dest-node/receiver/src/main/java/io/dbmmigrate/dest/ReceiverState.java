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
  /** The last session's VM was verified and is hosted (running, or paused when asked). */
  RESUMED
}
