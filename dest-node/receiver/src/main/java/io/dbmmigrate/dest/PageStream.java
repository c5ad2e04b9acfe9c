package io.dbmmigrate.dest;

import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.BatchFormatException;
import io.dbmmigrate.wire.InboundBatch;
import io.dbmmigrate.wire.PageBatchDecoder;
import java.util.function.LongSupplier;

/**
 * One page-batch call of the receiver: a SendPages call ({@link #PageStream}), whose batches go into
 * the VM, or a WarmUpPages call ({@link #warmUp}), whose batches are checked and decoded exactly
 * the same way and placed into a scratch memory of the guest's layout, never into the VM (see
 * {@link BatchTarget}: one class and one apply path for both, so that the warm-up compiles the
 * rounds' code). Its first batch binds it to a session and the stream's working memory from the
 * {@link InboundBudget}; a SendPages call also claims that batch's stream index (one open call per
 * declared stream). Every batch is then applied to the session; the end releases all of it.
 *
 * <p>A refusal ends the call. On a SendPages call it also discards the session (a refused batch
 * changes nothing, and the VM is never resumed); anything unexpected, Errors included, does the
 * same before it propagates. A warm-up's refusal ends that call only: it changed no VM state.
 *
 * <p>Threading: the transport delivers one callback at a time (not thread-safe otherwise).
 */
public final class PageStream {
  private final Receiver receiver;
  private final StreamWorkingMemory working;
  private final LongSupplier nanoClock;
  private final boolean warmUp;
  private ReceiveSession session;
  private BatchTarget target;
  private int stream = -1;
  private boolean claimed;
  private PageBatchDecoder decoder;
  private boolean closed;
  private final StreamTally tally = new StreamTally();

  /** A SendPages call. */
  PageStream(Receiver receiver, InboundBudget budget, LongSupplier nanoClock) {
    this(receiver, budget, nanoClock, false);
  }

  private PageStream(Receiver receiver, InboundBudget budget, LongSupplier nanoClock, boolean warmUp) {
    this.receiver = receiver;
    this.working = new StreamWorkingMemory(budget);
    this.nanoClock = nanoClock;
    this.warmUp = warmUp;
  }

  /** A WarmUpPages call: checked like a page stream, placed into a scratch memory. */
  static PageStream warmUp(Receiver receiver, InboundBudget budget, LongSupplier nanoClock) {
    return new PageStream(receiver, budget, nanoClock, true);
  }

  public boolean isClosed() {
    return closed;
  }

  /** Checks and applies one parsed batch (in-process callers, tests). */
  public void apply(PageBatch batch) throws TargetException {
    apply(InboundBatch.of(batch));
  }

  /**
   * Checks and applies one received batch (read in place from the transport's buffers; the
   * caller releases the holder afterwards); on refusal the call is closed (and a SendPages call's
   * session discarded). A batch whose bytes are not a PageBatch is refused as INVALID_ARGUMENT.
   */
  public void apply(InboundBatch inbound) throws TargetException {
    if (closed) throw new TargetException(ReceiveError.ENDED, "page stream already closed");
    boolean ok = false;
    String failure = "applying a batch failed unexpectedly";
    try {
      final PageBatch batch;
      try {
        batch = inbound.decode();
      } catch (BatchFormatException e) {
        throw TargetException.invalid("malformed page batch: " + e.getMessage());
      }
      if (session == null) bind(batch);
      else if (!session.id.equals(batch.getSessionId()))
        throw TargetException.invalid("a page stream must carry one session only");
      else if (batch.getStream() != stream)
        throw TargetException.invalid(
            "a page stream must carry one stream index only (" + stream + ", then "
                + Integer.toUnsignedString(batch.getStream()) + ")");
      session.apply(decoder, inbound, target, nanoClock.getAsLong());
      tally.applied(batch, inbound);
      ok = true;
    } catch (TargetException e) {
      failure = e.getMessage();
      throw e;
    } finally {
      if (!ok) close(failure);
    }
  }

  private void bind(PageBatch first) throws TargetException {
    ReceiveSession s = receiver.sessionForStream(first.getSessionId());
    session = s;
    int st = first.getStream();
    if (st < 0 || st >= s.declaredStreams())
      throw TargetException.invalid(
          "stream " + Integer.toUnsignedString(st) + " out of range; the session has " + s.declaredStreams());
    if (!warmUp) {
      if (!s.claimStream(st))
        throw new TargetException(
            ReceiveError.WRONG_STATE, "stream " + st + " already has an open SendPages call (one per stream)");
      claimed = true;
    }
    stream = st;
    working.reserveFor(s.maxBatchBytes);
    decoder = new PageBatchDecoder(s.maxBatchBytes);
    target = warmUp ? s.newWarmUpTarget() : s.vmTarget;
  }

  /** The source half-closed: the call's summary. */
  public StreamSummary complete() {
    if (!closed) {
      closed = true;
      release();
      if (session != null) session.touch(nanoClock.getAsLong());
    }
    return tally.summary();
  }

  /** The call broke (cancelled, transport lost): a SendPages call's session cannot be complete. */
  public void broken(String reason) {
    if (!closed) close("page stream broken: " + reason);
  }

  private void close(String reason) {
    closed = true;
    release();
    if (session != null && !warmUp) receiver.discardForStream(session, reason);
  }

  private void release() {
    decoder = null;
    working.release();
    if (target != null) {
      target.release();
      target = null;
    }
    if (claimed) {
      session.releaseStream(stream);
      claimed = false;
    }
  }
}
