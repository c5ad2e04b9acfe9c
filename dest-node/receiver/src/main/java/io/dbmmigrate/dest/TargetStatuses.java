package io.dbmmigrate.dest;

import io.grpc.Status;

/**
 * The one place where the receiver's error kinds become gRPC statuses (the table of target.proto).
 * The description is the refusal's message, which the receiver builds from sanitized client text
 * only; never an exception's text.
 */
final class TargetStatuses {
  private TargetStatuses() {}

  static Status of(ReceiveError kind) {
    return switch (kind) {
      case INVALID -> Status.INVALID_ARGUMENT;
      case UNKNOWN_SESSION -> Status.NOT_FOUND;
      case WRONG_STATE -> Status.FAILED_PRECONDITION;
      case DUPLICATE -> Status.ALREADY_EXISTS;
      case INCOMPLETE -> Status.DATA_LOSS;
      case ENDED -> Status.ABORTED;
      case NOT_PERMITTED -> Status.PERMISSION_DENIED;
      case NO_CAPACITY -> Status.RESOURCE_EXHAUSTED;
      case VERIFY_LIMIT -> Status.DEADLINE_EXCEEDED;
      case CANCELLED -> Status.CANCELLED;
    };
  }

  static Status of(TargetException e) {
    return of(e.kind()).withDescription(e.getMessage());
  }
}
