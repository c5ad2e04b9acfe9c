package io.dbmmigrate.dest;

import io.dbmmigrate.wire.InboundBatch;
import io.grpc.ForwardingServerCall;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands between the network and a service: every request of every method of the guarded
 * service passes here, so that no input can make the server answer UNKNOWN, leak exception text,
 * flood the log or fill the heap.
 *
 * <ol>
 *   <li><b>Parse where errors can be mapped.</b> Each method's request marshaller is wrapped: the
 *       original parse (the service's own, e.g. the page-batch marshaller) runs unchanged, but a
 *       failure becomes a value, not an exception. grpc-java turns an exception thrown by parse
 *       into UNKNOWN and logs its stack trace, and a RESOURCE_EXHAUSTED raised while decompressing
 *       (size limit) also reaches the client as UNKNOWN (grpc-java #11246). Here the call is closed
 *       with INVALID_ARGUMENT (malformed: truncated, bad wire type, invalid UTF-8 in a string) or
 *       RESOURCE_EXHAUSTED (too large after decompression, or out of buffers), and one warning line
 *       is written per offending call, rate-limited ({@link RateLimitedLog}).
 *   <li><b>Bytes in flight.</b> A message's size is reserved from the node's {@link InboundBudget}
 *       before it is parsed and released when its handler returns; over the budget the call gets
 *       RESOURCE_EXHAUSTED and the message is not parsed.
 *   <li><b>Nothing unexpected escapes.</b> Any Throwable from a handler (Errors included) closes
 *       the call with INTERNAL (RESOURCE_EXHAUSTED for OutOfMemoryError) and an incident id; the
 *       details, stack trace included, are logged once under that id and never sent.
 * </ol>
 *
 * <p>Threading: gRPC calls a call's listener serially; parse runs on the same thread right before
 * onMessage, so a reservation made in parse is released in the same callback.
 */
final class InboundGuard {
  private static final Logger log = LoggerFactory.getLogger(InboundGuard.class);

  private final InboundBudget budget;
  private final int maxInboundMessageBytes;
  private final RateLimitedLog warnings;

  InboundGuard(InboundBudget budget, int maxInboundMessageBytes, LongSupplier nanoClock) {
    this.budget = budget;
    this.maxInboundMessageBytes = maxInboundMessageBytes;
    this.warnings = new RateLimitedLog(log, nanoClock);
  }

  /** The same service (same names and schema), with every method guarded. */
  ServerServiceDefinition guard(ServerServiceDefinition def) {
    ServiceDescriptor old = def.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) methods.add(guardMethod(m));
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> m : methods) sd.addMethod(m.getMethodDescriptor());
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(sd.build());
    for (ServerMethodDefinition<?, ?> m : methods) out.addMethod(m);
    return out.build();
  }

  private <ReqT, RespT> ServerMethodDefinition<Inbound<ReqT>, RespT> guardMethod(ServerMethodDefinition<ReqT, RespT> m) {
    MethodDescriptor<ReqT, RespT> original = m.getMethodDescriptor();
    MethodDescriptor<Inbound<ReqT>, RespT> guarded =
        original.toBuilder(new GuardedMarshaller<>(original.getRequestMarshaller()), original.getResponseMarshaller())
            .build();
    ServerCallHandler<ReqT, RespT> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(guarded, (call, headers) -> startCall(original, handler, call, headers));
  }

  private <ReqT, RespT> ServerCall.Listener<Inbound<ReqT>> startCall(
      MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> handler,
      ServerCall<Inbound<ReqT>, RespT> call, Metadata headers) {
    GuardListener<ReqT, RespT> guard = new GuardListener<>(method, call);
    try {
      guard.delegate = handler.startCall(new UnwrappedCall<>(call, method), headers);
    } catch (Throwable t) {
      guard.incident("starting the call", t);
    }
    return guard;
  }

  /** A request message or the status its parse ended with; holds its budget reservation. */
  static final class Inbound<T> {
    final T value;
    final Status failure;
    final String detail;
    private long reservedBytes;
    private final InboundBudget budget;

    private Inbound(T value, Status failure, String detail, long reservedBytes, InboundBudget budget) {
      this.value = value;
      this.failure = failure;
      this.detail = detail;
      this.reservedBytes = reservedBytes;
      this.budget = budget;
    }

    void release() {
      if (reservedBytes > 0) budget.release(reservedBytes);
      reservedBytes = 0;
      // A page batch holds the transport's network buffers until released: the service releases
      // it after applying; this (idempotent) release covers messages the guard never delivers
      // (call already closed), so no path leaks them.
      if (value instanceof InboundBatch b) b.release();
    }
  }

  /** Parses through the original marshaller; turns every failure into a value. */
  private final class GuardedMarshaller<T> implements MethodDescriptor.Marshaller<Inbound<T>> {
    private final MethodDescriptor.Marshaller<T> delegate;

    GuardedMarshaller(MethodDescriptor.Marshaller<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream stream(Inbound<T> value) {
      return delegate.stream(value.value);
    }

    @Override
    public Inbound<T> parse(InputStream in) {
      long size = maxInboundMessageBytes; // a compressed message's size is known only after inflating
      try {
        if (in instanceof KnownLength) size = in.available();
      } catch (IOException e) {
        return failed(Status.INVALID_ARGUMENT, "unreadable message", e);
      }
      if (!budget.tryReserve(size))
        return new Inbound<>(
            null,
            Status.RESOURCE_EXHAUSTED.withDescription(
                "this node's inbound buffers are full (" + budget.capacityBytes() + " bytes); retry later"),
            "inbound buffers full", 0, budget);
      try {
        return new Inbound<>(delegate.parse(in), null, null, size, budget);
      } catch (StatusRuntimeException e) {
        budget.release(size);
        if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED)
          return failed(
              Status.RESOURCE_EXHAUSTED, "message larger than " + maxInboundMessageBytes + " bytes after decompression", e);
        return failed(Status.INVALID_ARGUMENT, "malformed message", e);
      } catch (RuntimeException e) {
        budget.release(size);
        return failed(Status.INVALID_ARGUMENT, "malformed message", e);
      } catch (OutOfMemoryError e) {
        budget.release(size);
        return failed(Status.RESOURCE_EXHAUSTED, "message too large for this node", e);
      }
    }

    private Inbound<T> failed(Status status, String description, Throwable cause) {
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) root = root.getCause();
      String detail = description + " (" + root.getClass().getSimpleName() + ": " + ClientText.quote(root.getMessage(), 80) + ")";
      return new Inbound<>(null, status.withDescription(description), detail, 0, budget);
    }
  }

  /** The call as the service sees it: the original request type and method descriptor. */
  private static final class UnwrappedCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;

    @SuppressWarnings({"unchecked", "rawtypes"})
    UnwrappedCall(ServerCall<Inbound<ReqT>, RespT> call, MethodDescriptor<ReqT, RespT> method) {
      super((ServerCall) call); // requests differ only in the wrapper, which the service never sees
      this.method = method;
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }

  /** Unwraps messages, closes calls whose message failed to parse, catches everything. */
  private final class GuardListener<ReqT, RespT> extends ServerCall.Listener<Inbound<ReqT>> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final ServerCall<Inbound<ReqT>, RespT> call;
    ServerCall.Listener<ReqT> delegate;
    private boolean closed;
    private boolean delegateCancelled;

    GuardListener(MethodDescriptor<ReqT, RespT> method, ServerCall<Inbound<ReqT>, RespT> call) {
      this.method = method;
      this.call = call;
    }

    @Override
    public void onMessage(Inbound<ReqT> m) {
      try {
        if (closed || delegate == null) return;
        if (m.failure != null) {
          warnings.warn("refused a {} call: {}", method.getBareMethodName(), m.detail);
          close(m.failure);
          return;
        }
        delegate.onMessage(m.value);
      } catch (Throwable t) {
        incident("handling a message", t);
      } finally {
        m.release();
      }
    }

    @Override
    public void onHalfClose() {
      if (closed || delegate == null) return;
      try {
        delegate.onHalfClose();
      } catch (Throwable t) {
        incident("handling the end of the request", t);
      }
    }

    @Override
    public void onCancel() {
      if (delegate == null || delegateCancelled) return;
      delegateCancelled = true;
      try {
        delegate.onCancel();
      } catch (Throwable t) {
        incident("handling a cancellation", t);
      }
    }

    @Override
    public void onComplete() {
      if (delegate == null) return;
      try {
        delegate.onComplete();
      } catch (Throwable t) {
        incident("completing the call", t);
      }
    }

    @Override
    public void onReady() {
      if (closed || delegate == null) return;
      try {
        delegate.onReady();
      } catch (Throwable t) {
        incident("handling readiness", t);
      }
    }

    void incident(String doing, Throwable t) {
      String id = UUID.randomUUID().toString().substring(0, 8);
      warnings.warn("incident {}: {} of {} failed", id, doing, method.getFullMethodName(), t);
      close(
          t instanceof OutOfMemoryError
              ? Status.RESOURCE_EXHAUSTED.withDescription("this node ran out of memory (incident " + id + ")")
              : Status.INTERNAL.withDescription("internal error (incident " + id + ")"));
    }

    /** Closes the call (if the service has not) and lets the service clean up as if cancelled. */
    private void close(Status status) {
      if (closed) return;
      closed = true;
      try {
        call.close(status, new Metadata());
      } catch (IllegalStateException alreadyClosed) {
        // the service answered before it failed; its answer stands
      }
      if (delegate != null && !delegateCancelled) {
        delegateCancelled = true;
        try {
          delegate.onCancel(); // a stream observer learns that its call is over (session discarded)
        } catch (Throwable t) {
          log.debug("cleanup after closing {} failed", method.getFullMethodName(), t);
        }
      }
    }
  }
}
