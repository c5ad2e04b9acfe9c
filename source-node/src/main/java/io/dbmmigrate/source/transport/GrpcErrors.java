package io.dbmmigrate.source.transport;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Renders gRPC failures for messages and reports (one place for the mapping). */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static String describe(Throwable t) {
    Status s = Status.fromThrowable(t);
    if (s.getCode() == Status.Code.UNKNOWN && !(t instanceof StatusRuntimeException))
      return t.toString();
    String d = s.getDescription();
    return s.getCode() + (d == null ? "" : ": " + d);
  }
}
