package io.dbmmigrate.dest;

import io.grpc.Status;

/** A refused request of the receiving side, with the gRPC status it maps to. */
public final class TargetException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Status status;

  public TargetException(Status status, String message) {
    super(message);
    this.status = status.withDescription(message);
  }

  public Status status() {
    return status;
  }

  static TargetException invalid(String message) {
    return new TargetException(Status.INVALID_ARGUMENT, message);
  }
}
