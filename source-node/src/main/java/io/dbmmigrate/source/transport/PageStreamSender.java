package io.dbmmigrate.source.transport;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.source.migration.HarvestBitmap;
import io.dbmmigrate.source.migration.ProgressSink;
import io.dbmmigrate.wire.PageBatchEncoder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One page stream: in each round, one client-streaming {@code SendPages} call on its own channel,
 * fed by a dedicated sender thread.
 *
 * <p>Send path, per batch: the encoder copies pages straight from guest memory into its reused
 * buffer (no allocation per page); when the batch is full it is built (LZ4, CRC32C; the message
 * wraps the encoder's buffer without a copy — a ring of {@link PageBatchEncoder#DEFAULT_BUFFERS}
 * buffers, safe because gRPC serializes the message inside {@code onNext} on the retry-free
 * channels of {@link Channels}), then the thread waits for the call to be ready (flow control: gRPC buffers at most
 * about one batch per stream, so memory in flight is bounded whatever the link speed), waits for
 * rate-limiter tokens, and hands it to gRPC. Waiting happens on this thread only; gRPC's callbacks
 * just signal the {@link ReadinessGate}.
 *
 * <p>Threading: {@link #sendRound} runs on the stream's sender thread, one round at a time. {@link
 * #cancel} may be called from any thread; it cancels the current call (gRPC's cancel is
 * thread-safe), which fails the sender promptly.
 */
final class PageStreamSender {
  private final int stream;
  /**
   * One stub for rounds and warm-up, so that the warm-up runs the rounds' code (their compiled
   * form is what it is for); the warm-up's batch latencies are dropped by the session.
   */
  private final MigrationTargetGrpc.MigrationTargetStub stub;
  private final PageBatchEncoder encoder;
  private final RateLimiter limiter;
  private final long stallNanos;
  private final AtomicReference<ClientCallStreamObserver<PageBatch>> current = new AtomicReference<>();
  private volatile String cancelReason;

  /** What one stream sent in one round. */
  record Result(int stream, int batches, long pages, long zeroPages, long rawBytes, long wireBytes) {}

  PageStreamSender(
      int stream,
      MigrationTargetGrpc.MigrationTargetStub stub,
      int batchBytes,
      boolean compress,
      RateLimiter limiter,
      long stallMillis) {
    this.stream = stream;
    this.stub = stub;
    this.encoder = new PageBatchEncoder(batchBytes, compress, PageBatchEncoder.DEFAULT_BUFFERS);
    this.limiter = limiter;
    this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
  }

  /** Per-round state of the call: opened lazily, at the first full batch. */
  private final class Call {
    final ReadinessGate gate = new ReadinessGate();
    final CompletableFuture<StreamSummary> summary = new CompletableFuture<>();
    final boolean warmUp;
    ClientCallStreamObserver<PageBatch> requests;

    Call(boolean warmUp) {
      this.warmUp = warmUp;
    }

    void open() throws StreamFailedException {
      ClientResponseObserver<PageBatch, StreamSummary> observer = observer();
      if (warmUp) stub.warmUpPages(observer);
      else stub.sendPages(observer);
      current.set(requests);
      String reason = cancelReason;
      if (reason != null) {
        requests.cancel(reason, null);
        throw new StreamFailedException("cancelled: " + reason, null);
      }
    }

    private ClientResponseObserver<PageBatch, StreamSummary> observer() {
      return new ClientResponseObserver<PageBatch, StreamSummary>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<PageBatch> r) {
          requests = r;
          r.setOnReadyHandler(gate::signal);
        }

        @Override
        public void onNext(StreamSummary s) {
          summary.complete(s);
        }

        @Override
        public void onError(Throwable t) {
          summary.completeExceptionally(t);
          gate.fail(t);
        }

        @Override
        public void onCompleted() {
          summary.completeExceptionally(
              new IllegalStateException("SendPages completed without a summary"));
        }
      };
    }
  }

  Result sendRound(
      String sessionId,
      int round,
      BitmapCursor cursor,
      GuestMemory mem,
      ProgressSink progress)
      throws StreamFailedException, InterruptedException {
    return send(sessionId, round, Passes.once(cursor), mem, progress, false);
  }

  /**
   * One WarmUpPages call (see target.proto) that passes over all of {@code window}'s pages, again
   * and again, until {@code maxWireBytes} went out (checked after every batch: the call overshoots
   * by at most one batch and the page that did not fit), a pass added no page, or {@code
   * deadlineNanos} (System.nanoTime) passed (checked after every batch and every chunk). One call
   * for the whole warm-up: a call per pass had the destination map and drop a scratch memory for
   * every pass.
   */
  Result warmUp(String sessionId, HarvestBitmap.Round window, GuestMemory mem, long deadlineNanos, long maxWireBytes)
      throws StreamFailedException, InterruptedException {
    Passes passes =
        new Passes() {
          private long pagesBefore = -1;

          @Override
          public BitmapCursor next(long pagesAdded, long wireBytes) {
            if (done(wireBytes) || pagesAdded == pagesBefore) return null;
            pagesBefore = pagesAdded;
            return new BitmapCursor(window);
          }

          @Override
          public boolean done(long wireBytes) {
            return wireBytes >= maxWireBytes || System.nanoTime() - deadlineNanos > 0;
          }
        };
    return send(sessionId, 0, passes, mem, ProgressSink.NONE, true);
  }

  /** The cursors one call walks: a round's one cursor, or the warm-up's passes over its window. */
  private interface Passes {
    /**
     * The next pass's cursor, or null: the call ends. {@code pagesAdded}: pages put into batches
     * so far on this call (sent or pending); {@code wireBytes}: payload bytes sent so far.
     */
    BitmapCursor next(long pagesAdded, long wireBytes);

    /** True when the call should end now, in mid-pass (asked after every batch and chunk). */
    boolean done(long wireBytes);

    static Passes once(BitmapCursor cursor) {
      return new Passes() {
        private boolean given;

        @Override
        public BitmapCursor next(long pagesAdded, long wireBytes) {
          if (given) return null;
          given = true;
          return cursor;
        }

        @Override
        public boolean done(long wireBytes) {
          return false; // a round sends all of its pages
        }
      };
    }
  }

  private Result send(
      String sessionId,
      int round,
      Passes passes,
      GuestMemory mem,
      ProgressSink progress,
      boolean warmUp)
      throws StreamFailedException, InterruptedException {
    final Call call = new Call(warmUp);
    int sequence = 0;
    long pages = 0;
    long zeroPages = 0;
    long rawBytes = 0;
    long wireBytes = 0;
    try {
      pass:
      for (BitmapCursor cursor = passes.next(0, 0);
          cursor != null;
          cursor = passes.next(pages + encoder.pageCount(), wireBytes)) {
        for (int start = cursor.claim(); start >= 0; start = cursor.claim()) {
          final int end = cursor.end(start);
          for (int w = start; w < end; w++) {
            long word = cursor.word(w);
            while (word != 0) {
              final long gfn = ((long) w << 6) | Long.numberOfTrailingZeros(word);
              word &= word - 1;
              if (!encoder.add(gfn, mem)) {
                pages += encoder.pageCount();
                zeroPages += encoder.zeroPages();
                rawBytes += encoder.rawBytes();
                wireBytes += flush(call, sessionId, round, sequence++, progress);
                if (!encoder.add(gfn, mem)) throw new IllegalStateException("empty batch refused a page");
                if (passes.done(wireBytes)) break pass;
              }
            }
          }
          if (cancelReason != null) throw new StreamFailedException("cancelled: " + cancelReason, null);
          if (passes.done(wireBytes)) break pass;
        }
      }
      if (!encoder.isEmpty()) {
        pages += encoder.pageCount();
        zeroPages += encoder.zeroPages();
        rawBytes += encoder.rawBytes();
        wireBytes += flush(call, sessionId, round, sequence++, progress);
      }
      if (call.requests == null) return new Result(stream, 0, 0, 0, 0, 0);
      call.requests.onCompleted();
      StreamSummary s = awaitSummary(call);
      if (s.getBatches() != sequence || s.getPages() != pages)
        throw new StreamFailedException(
            String.format(
                "stream %d round %d: destination acknowledged %d batches / %d pages, sent %d / %d",
                stream, round, s.getBatches(), s.getPages(), sequence, pages),
            null);
      return new Result(stream, sequence, pages, zeroPages, rawBytes, wireBytes);
    } catch (StreamFailedException | InterruptedException | RuntimeException e) {
      resetEncoder();
      if (call.requests != null) call.requests.cancel("source stream failed: " + e.getMessage(), e);
      throw e;
    } finally {
      current.set(null);
    }
  }

  private long flush(Call call, String sessionId, int round, int sequence, ProgressSink progress)
      throws StreamFailedException, InterruptedException {
    final int batchPages = encoder.pageCount();
    final PageBatch batch = encoder.build(sessionId, stream, round, sequence);
    final int bytes = batch.getPayload().size();
    if (call.requests == null) call.open();
    call.gate.awaitReady(call.requests, stallNanos);
    if (!limiter.acquire(bytes, () -> cancelReason != null))
      throw new StreamFailedException("cancelled: " + cancelReason, null);
    call.requests.onNext(batch);
    progress.batchSent(batchPages, bytes);
    return bytes;
  }

  private StreamSummary awaitSummary(Call call) throws StreamFailedException, InterruptedException {
    try {
      return call.summary.get(stallNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new StreamFailedException("stream " + stream + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new StreamFailedException(
          "stream " + stream + ": no acknowledgement within " + TimeUnit.NANOSECONDS.toMillis(stallNanos) + " ms",
          e);
    }
  }

  /** Drops a half-built batch after a failure (the encoder is reused by later rounds). */
  private void resetEncoder() {
    if (!encoder.isEmpty()) encoder.build("", stream, 0, 0);
  }

  /** Cancels the running call, and any later one (the session is being torn down). */
  void cancel(String reason) {
    cancelReason = reason == null ? "cancelled" : reason;
    ClientCallStreamObserver<PageBatch> c = current.get();
    if (c != null) c.cancel(cancelReason, null);
  }
}
