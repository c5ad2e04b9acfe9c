package io.dbmmigrate.source.transport;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.source.migration.HarvestBitmap;
import io.dbmmigrate.source.migration.ProgressSink;
import io.dbmmigrate.wire.OutboundBatch;
import io.dbmmigrate.wire.OutboundBatchMarshaller;
import io.dbmmigrate.wire.PageBatchEncoder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One page stream: in each round, one client-streaming {@code SendPages} call on its own channel,
 * fed by a dedicated sender thread.
 *
 * <p>Send path, per batch: the encoder records pages (uncompressed: a zero test in place, no copy;
 * LZ4: a copy into its reused buffer); when the batch is full it is built into the encoder's one
 * {@link OutboundBatch}, then the thread waits for the call to be ready (flow control: gRPC buffers
 * at most about one batch per stream, so memory in flight is bounded whatever the link speed),
 * waits for rate-limiter tokens, and hands it to gRPC, whose framer drains it inside {@code onNext}
 * on the retry-free channels of {@link Channels}: each page is copied once, from guest memory
 * towards Netty's buffer, its CRC32C taken on the way. Allocation: none per page or per batch on
 * this side. Waiting happens on this thread only; gRPC's callbacks just signal the {@link
 * ReadinessGate}.
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
  private final AtomicReference<ClientCallStreamObserver<OutboundBatch>> current = new AtomicReference<>();
  private volatile String cancelReason;

  /** What one stream sent in one round. */
  record Result(int stream, int batches, long pages, long zeroPages, long rawBytes, long wireBytes) {
    /** This stream's figures and {@code o}'s (another call of the same stream) together. */
    Result plus(Result o) {
      return new Result(
          stream, batches + o.batches, pages + o.pages, zeroPages + o.zeroPages, rawBytes + o.rawBytes,
          wireBytes + o.wireBytes);
    }
  }

  PageStreamSender(
      int stream,
      MigrationTargetGrpc.MigrationTargetStub stub,
      int batchBytes,
      boolean compress,
      RateLimiter limiter,
      long stallMillis) {
    this.stream = stream;
    this.stub = stub;
    this.encoder = PageBatchEncoder.forStream(batchBytes, compress);
    this.limiter = limiter;
    this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
  }

  /** Per-round state of the call: opened lazily, at the first full batch. */
  private final class Call {
    final ReadinessGate gate = new ReadinessGate();
    final CompletableFuture<StreamSummary> summary = new CompletableFuture<>();
    final boolean warmUp;
    ClientCallStreamObserver<OutboundBatch> requests;
    /** What went out on this call so far (sender thread only). */
    int sequence;
    long pages;
    long zeroPages;
    long rawBytes;
    long wireBytes;

    Call(boolean warmUp) {
      this.warmUp = warmUp;
    }

    void open() throws StreamFailedException {
      // The generated methods with a marshaller that lets gRPC drain the batch (the stub's own
      // channel and call options, as the generated stub would use them).
      ClientCalls.asyncClientStreamingCall(
          stub.getChannel()
              .newCall(
                  warmUp ? OutboundBatchMarshaller.WARM_UP_PAGES : OutboundBatchMarshaller.SEND_PAGES,
                  stub.getCallOptions()),
          observer());
      current.set(requests);
      String reason = cancelReason;
      if (reason != null) {
        requests.cancel(reason, null);
        throw new StreamFailedException("cancelled: " + reason, null);
      }
    }

    private ClientResponseObserver<OutboundBatch, StreamSummary> observer() {
      return new ClientResponseObserver<OutboundBatch, StreamSummary>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<OutboundBatch> r) {
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
   * Calls a warm-up makes on each stream: the page path's buffer pools change state when a call
   * ends and the next one starts (all of the call's buffers come back, the next call allocates
   * anew), and code compiled without ever seeing that was thrown away at the start of round 0 and
   * compiled again inside it (Netty's allocator on the source: three compilations of 0.5 to 1 s
   * each on a 2-core machine). Hence several calls, each taking {@link #callShare} of what its
   * stream has left:
   *
   * <ul>
   *   <li>four short ones first: a call's end takes branches in Netty's write path that C2 first
   *       treats as never taken, and compiles again only after a few such ends (the bytecode's trap
   *       limit) and on the next traffic. With two long calls per stream, the last end before round
   *       0 was that one, and C2 compiled Netty's write path again inside round 0 (0.4 s of C2 with
   *       two streams, in JFR);
   *   <li>then a long one, where most of the compiling happens;
   *   <li>then one more, as long again: its first batch meets the code compiled during the long
   *       call, as round 0's first batch will, and the rest of the call leaves the compilers time
   *       to compile it again (a quarter of the length was too short on two cores). A call's first
   *       batch takes branches no other batch takes (the destination binds the call to its
   *       session, its ledger starts the stream's numbering); code compiled while none came
   *       treated them as never taken, and round 0's first batch threw the destination's whole
   *       compiled apply away (0.5 s of C2 inside round 0, in JFR). Met in the warm-up instead,
   *       they are compiled as branches.
   * </ul>
   */
  static final int WARM_UP_CALLS = 6;

  /** The short calls that open a stream's warm-up (the long one and the last one follow). */
  private static final int SHORT_WARM_UP_CALLS = WARM_UP_CALLS - 2;

  /** The fraction of its stream's remaining warm-up payload and time that call {@code c} takes. */
  static double callShare(int c) {
    if (c < SHORT_WARM_UP_CALLS) return 1 / 32.0;
    return c == SHORT_WARM_UP_CALLS ? 0.5 : 1; // the long call, then the rest (as long again)
  }

  /**
   * {@link #WARM_UP_CALLS} WarmUpPages calls (see target.proto), one after the other, each passing
   * over all of {@code window}'s pages again and again until its share of {@code maxWireBytes}
   * went out (checked after every batch: a call overshoots by at most one batch and the page that
   * did not fit), a pass added no page, or its share of the time to {@code deadlineNanos}
   * (System.nanoTime) passed (checked after every batch and every chunk). A call's share is its
   * {@link #callShare} of what the stream has left; the last call's is all. A call per pass had
   * the destination map and drop a scratch memory for every pass; this is one per call.
   */
  Result warmUp(String sessionId, HarvestBitmap.Round window, GuestMemory mem, long deadlineNanos, long maxWireBytes)
      throws StreamFailedException, InterruptedException {
    Result total = new Result(stream, 0, 0, 0, 0, 0);
    for (int c = 0; c < WARM_UP_CALLS; c++) {
      final double share = callShare(c);
      final long callDeadline = System.nanoTime() + (long) ((deadlineNanos - System.nanoTime()) * share);
      final long callBytes = Math.max(1, (long) ((maxWireBytes - total.wireBytes()) * share));
      Result r = send(sessionId, 0, Passes.over(window, callDeadline, callBytes), mem, ProgressSink.NONE, true);
      total = total.plus(r);
      if (r.pages() == 0 || System.nanoTime() - deadlineNanos > 0) break;
    }
    return total;
  }

  /**
   * The cursors one call walks: a round's one cursor, or the warm-up's passes over its window. One
   * final class for both, so that the code compiled during the warm-up sees the same type as the
   * rounds (an interface with one class per use had round 0 throw away the sender's compiled loop
   * and compile it again: 3.6 s of C2 time inside round 0 on a 2-core machine).
   */
  private static final class Passes {
    /** A round's deadline lies this far ahead (about 146 years): never reached. */
    private static final long NEVER_NANOS = Long.MAX_VALUE / 2;

    private final BitmapCursor once; // a round's cursor; null: passes over window
    private final HarvestBitmap.Round window;
    private final long deadlineNanos;
    private final long maxWireBytes;
    private boolean given;
    private long pagesBefore = -1;

    private Passes(BitmapCursor once, HarvestBitmap.Round window, long deadlineNanos, long maxWireBytes) {
      this.once = once;
      this.window = window;
      this.deadlineNanos = deadlineNanos;
      this.maxWireBytes = maxWireBytes;
    }

    static Passes once(BitmapCursor cursor) {
      return new Passes(cursor, null, System.nanoTime() + NEVER_NANOS, Long.MAX_VALUE);
    }

    /** Passes over {@code window} again and again (see {@link PageStreamSender#warmUp}). */
    static Passes over(HarvestBitmap.Round window, long deadlineNanos, long maxWireBytes) {
      return new Passes(null, window, deadlineNanos, maxWireBytes);
    }

    /**
     * The next pass's cursor, or null: the call ends. {@code pagesAdded}: pages put into batches
     * so far on this call (sent or pending); {@code wireBytes}: payload bytes sent so far.
     */
    BitmapCursor next(long pagesAdded, long wireBytes) {
      if (once != null) {
        if (given) return null;
        given = true;
        return once;
      }
      if (done(wireBytes) || pagesAdded == pagesBefore) return null;
      pagesBefore = pagesAdded;
      return new BitmapCursor(window);
    }

    /**
     * True when the call should end now, in mid-pass (asked after every batch and chunk); a round
     * sends all of its pages.
     */
    boolean done(long wireBytes) {
      // The same test for a round (no byte limit, a deadline never reached) as for the warm-up:
      // a branch on the kind of call was never taken during the warm-up, and round 0's first
      // batch threw the compiled sender loop away (an unstable_if deoptimization, seen in JFR).
      return wireBytes >= maxWireBytes || System.nanoTime() - deadlineNanos > 0;
    }
  }

  /**
   * Where the sender is in a claimed chunk: the word, the chunk's end, and the word's pages not
   * added yet.
   */
  private static final class Walk {
    BitmapCursor cursor;
    int w;
    int end;
    long word;

    void start(BitmapCursor c, int start) {
      cursor = c;
      w = start;
      end = c.end(start);
      word = c.word(start);
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
    final Walk walk = new Walk();
    try {
      pass:
      for (BitmapCursor cursor = passes.next(0, 0);
          cursor != null;
          cursor = passes.next(call.pages + encoder.pageCount(), call.wireBytes)) {
        for (int start = cursor.claim(); start >= 0; start = cursor.claim()) {
          walk.start(cursor, start);
          while (!fill(walk, mem)) { // the batch is full
            flush(call, sessionId, round, progress);
            if (passes.done(call.wireBytes)) break pass;
          }
          if (cancelReason != null) throw new StreamFailedException("cancelled: " + cancelReason, null);
          if (passes.done(call.wireBytes)) break pass;
        }
      }
      if (!encoder.isEmpty()) flush(call, sessionId, round, progress);
      if (call.requests == null) return new Result(stream, 0, 0, 0, 0, 0);
      call.requests.onCompleted();
      StreamSummary s = awaitSummary(call);
      if (s.getBatches() != call.sequence || s.getPages() != call.pages)
        throw new StreamFailedException(
            String.format(
                "stream %d round %d: destination acknowledged %d batches / %d pages, sent %d / %d",
                stream, round, s.getBatches(), s.getPages(), call.sequence, call.pages),
            null);
      return new Result(stream, call.sequence, call.pages, call.zeroPages, call.rawBytes, call.wireBytes);
    } catch (StreamFailedException | InterruptedException | RuntimeException e) {
      resetEncoder();
      if (call.requests != null) call.requests.cancel("source stream failed: " + e.getMessage(), e);
      throw e;
    } finally {
      current.set(null);
    }
  }

  /**
   * Adds the walk's pages to the encoder until its chunk ends (true) or the batch is full (false;
   * the page that did not fit stays the walk's next). Its own method, called once per batch and
   * per chunk, so that the compilers compile it from those calls during the warm-up: a loop inside
   * a method called once per round is compiled on stack replacement, in every round anew.
   */
  private boolean fill(Walk walk, GuestMemory mem) {
    final BitmapCursor cursor = walk.cursor;
    int w = walk.w;
    long word = walk.word;
    while (true) {
      while (word != 0) {
        final long gfn = ((long) w << 6) | Long.numberOfTrailingZeros(word);
        if (!encoder.add(gfn, mem)) {
          if (encoder.isEmpty()) throw new IllegalStateException("empty batch refused a page");
          walk.w = w;
          walk.word = word;
          return false;
        }
        word &= word - 1;
      }
      if (++w >= walk.end) {
        walk.w = w;
        walk.word = 0;
        return true;
      }
      word = cursor.word(w);
    }
  }

  /** Builds the encoder's batch, counts it on the call, and sends it when the call is ready. */
  private void flush(Call call, String sessionId, int round, ProgressSink progress)
      throws StreamFailedException, InterruptedException {
    final int batchPages = encoder.pageCount();
    call.pages += batchPages;
    call.zeroPages += encoder.zeroPages();
    call.rawBytes += encoder.rawBytes();
    final OutboundBatch batch = encoder.buildOutbound(sessionId, stream, round, call.sequence++);
    final int bytes = batch.payloadBytes();
    if (call.requests == null) call.open();
    call.gate.awaitReady(call.requests, stallNanos);
    if (!limiter.acquire(bytes, () -> cancelReason != null))
      throw new StreamFailedException("cancelled: " + cancelReason, null);
    call.requests.onNext(batch);
    if (!batch.drained()) throw notSent(call, round);
    call.wireBytes += bytes;
    progress.batchSent(batchPages, bytes);
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

  /**
   * gRPC did not serialize the batch inside {@code onNext}: the call was already closed (a closed
   * call's stream drops messages), or the transport defers writes, which the batch's reused
   * buffers do not allow ({@link OutboundBatch}). Either way the stream fails; its pages are sent
   * again by the next attempt.
   */
  private StreamFailedException notSent(Call call, int round) {
    Throwable cause = null;
    if (call.summary.isCompletedExceptionally()) {
      try {
        call.summary.getNow(null);
      } catch (CompletionException e) {
        cause = e.getCause();
      }
    }
    return new StreamFailedException(
        String.format(
            "stream %d round %d: batch %d was not sent (%s)",
            stream, round, call.sequence - 1,
            cause != null ? cause.getMessage() : "the call is closed, or the transport did not serialize it inside onNext"),
        cause);
  }

  /** Drops a half-built batch after a failure (the encoder is reused by later rounds). */
  private void resetEncoder() {
    encoder.discard();
  }

  /** Cancels the running call, and any later one (the session is being torn down). */
  void cancel(String reason) {
    cancelReason = reason == null ? "cancelled" : reason;
    ClientCallStreamObserver<OutboundBatch> c = current.get();
    if (c != null) c.cancel(cancelReason, null);
  }
}
