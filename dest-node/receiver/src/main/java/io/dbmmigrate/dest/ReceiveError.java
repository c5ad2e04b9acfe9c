package io.dbmmigrate.dest;

/**
 * Why the receiving side refused a request: the domain's error kinds, one per status the contract
 * (target.proto) names. {@link TargetStatuses} maps each to its gRPC status; nothing else does.
 */
public enum ReceiveError {
  /** Malformed or out-of-range input: a bad batch, page, layout, field or id. */
  INVALID,
  /** No such session on this node (never begun, ended, or an id outside the id alphabet). */
  UNKNOWN_SESSION,
  /** The request does not fit the receiver's state: busy, streams still open, commit running. */
  WRONG_STATE,
  /** A batch that already arrived. */
  DUPLICATE,
  /** Commit with batches missing against the manifest. */
  INCOMPLETE,
  /** The session ended while the request was being handled. */
  ENDED,
  /** The request asks for something this node is not configured to allow. */
  NOT_PERMITTED,
  /** The node cannot hold what the request needs (guest memory, buffers, bytes in flight). */
  NO_CAPACITY,
  /** Verification exceeded the node's hashing limit (--max-verify-millis). */
  VERIFY_LIMIT,
  /** The caller cancelled or its deadline passed; the work was stopped. */
  CANCELLED
}
