package io.dbmmigrate.dest;

import io.dbmmigrate.net.tls.PeerAuthorizationInterceptor;
import io.dbmmigrate.net.tls.PeerIdentity;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.CompletePostcopyResponse;
import io.dbmmigrate.proto.v1.CompletePostcopyRequest;
import io.dbmmigrate.proto.v1.PostcopyDown;
import io.dbmmigrate.proto.v1.PostcopyUp;
import io.dbmmigrate.proto.v1.StartPostcopyResponse;
import io.dbmmigrate.proto.v1.StartPostcopyRequest;
import io.dbmmigrate.proto.v1.AbortResponse;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.InboundBatch;
import io.dbmmigrate.wire.PageBatchReceiver;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * The destination's gRPC service (wire contract v1, {@code MigrationTarget}): a thin adapter over
 * the transport-free {@link Receiver}. It converts calls into receiver operations and refusals
 * into statuses ({@link TargetStatuses}, the one mapping), and sets up flow control for page
 * streams. Malformed messages, budgets and unexpected failures are handled around it by {@link
 * InboundGuard}.
 */
public final class MigrationTargetService extends MigrationTargetGrpc.MigrationTargetImplBase
    implements PageBatchReceiver {
  /** Batches a stream may have delivered but not yet applied (bounded receive-side memory). */
  private static final int STREAM_WINDOW = 4;

  private final Receiver receiver;

  public MigrationTargetService(Receiver receiver) {
    this.receiver = receiver;
  }

  /** See {@link Receiver#receivingNow()} (monitoring). */
  public long[] receivingNow() {
    return receiver.receivingNow();
  }

  @Override
  public void beginSession(BeginSessionRequest req, StreamObserver<BeginSessionResponse> out) {
    // With mutual TLS the certificate's identity is the source's; the receiver records both.
    PeerIdentity peer = PeerAuthorizationInterceptor.PEER_IDENTITY.get();
    try {
      reply(out, receiver.begin(req, peer == null ? null : peer.describe()));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  /** The generated binding (used when not bound by PageStreamBinding): parsed batches as holders. */
  @Override
  public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> responseObserver) {
    return parsed(receivePages(responseObserver));
  }

  /** The generated binding of WarmUpPages (when not bound by PageStreamBinding). */
  @Override
  public StreamObserver<PageBatch> warmUpPages(StreamObserver<StreamSummary> responseObserver) {
    return parsed(receiveWarmUpPages(responseObserver));
  }

  private static StreamObserver<PageBatch> parsed(StreamObserver<InboundBatch> in) {
    return new StreamObserver<>() {
      @Override
      public void onNext(PageBatch batch) {
        in.onNext(InboundBatch.of(batch));
      }

      @Override
      public void onError(Throwable t) {
        in.onError(t);
      }

      @Override
      public void onCompleted() {
        in.onCompleted();
      }
    };
  }

  /**
   * SendPages as {@code PageStreamBinding} routes it: each message is an {@link InboundBatch}
   * holding gRPC's network buffers; it is decoded and applied in place, and released here on every
   * path (applied, refused, stream already closed).
   */
  @Override
  public StreamObserver<InboundBatch> receivePages(StreamObserver<StreamSummary> responseObserver) {
    return batchCall(responseObserver, receiver.openStream());
  }

  /** WarmUpPages as {@code PageStreamBinding} routes it: as SendPages, into scratch memory. */
  @Override
  public StreamObserver<InboundBatch> receiveWarmUpPages(StreamObserver<StreamSummary> responseObserver) {
    return batchCall(responseObserver, receiver.openWarmUp());
  }

  /**
   * One client-streaming call of page batches into a sink; each message holds gRPC's network
   * buffers, is decoded and applied in place, and is released here on every path (applied,
   * refused, stream already closed).
   */
  private static StreamObserver<InboundBatch> batchCall(StreamObserver<StreamSummary> responseObserver, PageStream sink) {
    ServerCallStreamObserver<StreamSummary> out =
        (ServerCallStreamObserver<StreamSummary>) responseObserver;
    // Manual flow control: at most STREAM_WINDOW batches delivered ahead of the one being applied,
    // so a fast sender cannot fill this node's memory; HTTP/2 flow control pushes back on it.
    out.disableAutoRequest();
    out.request(STREAM_WINDOW);
    return new StreamObserver<>() {
      @Override
      public void onNext(InboundBatch batch) {
        try {
          if (sink.isClosed()) return;
          sink.apply(batch);
          out.request(1);
        } catch (TargetException e) {
          out.onError(TargetStatuses.of(e).asRuntimeException());
        } finally {
          batch.release();
        }
      }

      @Override
      public void onError(Throwable t) {
        sink.broken(Status.fromThrowable(t).getCode().toString());
      }

      @Override
      public void onCompleted() {
        if (sink.isClosed()) return;
        reply(out, sink.complete());
      }
    };
  }

  @Override
  public void commit(CommitRequest req, StreamObserver<CommitResponse> out) {
    ServerCallStreamObserver<CommitResponse> call = (ServerCallStreamObserver<CommitResponse>) out;
    try {
      // Cancelled by the client, or its deadline passed: hashing stops (isCancelled is volatile).
      reply(out, receiver.commit(req, call::isCancelled));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  @Override
  public void verify(
      io.dbmmigrate.proto.v1.VerifyRequest req,
      StreamObserver<io.dbmmigrate.proto.v1.VerifyResponse> out) {
    ServerCallStreamObserver<io.dbmmigrate.proto.v1.VerifyResponse> call =
        (ServerCallStreamObserver<io.dbmmigrate.proto.v1.VerifyResponse>) out;
    try {
      reply(out, receiver.verify(req, call::isCancelled));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  @Override
  public void heartbeat(HeartbeatRequest req, StreamObserver<HeartbeatResponse> out) {
    try {
      reply(out, receiver.heartbeat(req));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  @Override
  public void abort(AbortRequest req, StreamObserver<AbortResponse> out) {
    reply(out, AbortResponse.newBuilder().setAborted(receiver.abort(req)).build());
  }

  @Override
  public void startPostcopy(StartPostcopyRequest req, StreamObserver<StartPostcopyResponse> out) {
    try {
      reply(out, receiver.startPostcopy(req));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  @Override
  public StreamObserver<PostcopyUp> postcopy(StreamObserver<PostcopyDown> responseObserver) {
    ServerCallStreamObserver<PostcopyDown> out = (ServerCallStreamObserver<PostcopyDown>) responseObserver;
    out.disableAutoRequest();
    out.request(STREAM_WINDOW);
    // Requests come from vCPU threads, the first answer from the call's thread: one lock for onNext.
    Object sendLock = new Object();
    boolean[] done = new boolean[1]; // guarded by sendLock
    PostcopyCall call =
        receiver.openPostcopy(
            m -> {
              synchronized (sendLock) {
                if (!done[0] && !out.isCancelled()) out.onNext(m);
              }
            });
    return new StreamObserver<>() {
      @Override
      public void onNext(PostcopyUp m) {
        synchronized (sendLock) {
          if (done[0]) return;
        }
        try {
          call.onMessage(m);
          out.request(1);
        } catch (TargetException e) {
          call.end();
          synchronized (sendLock) {
            done[0] = true;
            out.onError(TargetStatuses.of(e).asRuntimeException());
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        call.end();
        synchronized (sendLock) {
          done[0] = true;
        }
      }

      @Override
      public void onCompleted() {
        call.end();
        synchronized (sendLock) {
          if (done[0]) return;
          done[0] = true;
          out.onCompleted();
        }
      }
    };
  }

  @Override
  public void completePostcopy(CompletePostcopyRequest req, StreamObserver<CompletePostcopyResponse> out) {
    try {
      reply(out, receiver.completePostcopy(req));
    } catch (TargetException e) {
      out.onError(TargetStatuses.of(e).asRuntimeException());
    }
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
