package io.dbmmigrate.dest;

import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.BatchFormatException;
import io.dbmmigrate.wire.InboundBatch;
import io.dbmmigrate.wire.PageBatchDecoder;
import java.util.function.LongSupplier;

/**
 * One page stream of the receiver (one SendPages call): its first batch binds it to a session and
 * claims that batch's stream index (one open call per declared stream) and the stream's working
 * memory from the {@link InboundBudget}; every batch is then applied to the session; the end
 * releases both.
 *
 * <p>Any refusal ends the stream and discards its session (a refused batch changes nothing, and the
 * VM is never resumed). Anything unexpected, Errors included, does the same before it propagates.
 *
 * <p>Threading: the transport delivers one callback at a time (not thread-safe otherwise).
 */
public final class PageStream implements BatchSink {
  private final Receiver receiver;
  private final StreamWorkingMemory working;
  private final LongSupplier nanoClock;
  private ReceiveSession session;
  private int stream = -1;
  private PageBatchDecoder decoder;
  private boolean closed;
  private final StreamTally tally = new StreamTally();

  PageStream(Receiver receiver, InboundBudget budget, LongSupplier nanoClock) {
    this.receiver = receiver;
    this.working = new StreamWorkingMemory(budget);
    this.nanoClock = nanoClock;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** Checks and applies one parsed batch (in-process callers, tests). */
  public void apply(PageBatch batch) throws TargetException {
    apply(InboundBatch.of(batch));
  }

  /**
   * Checks and applies one received batch (read in place from the transport's buffers; the
   * caller releases the holder afterwards); on refusal the stream is closed and its session
   * discarded. A batch whose bytes are not a PageBatch is refused as INVALID_ARGUMENT.
   */
  @Override
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
      session.apply(decoder, inbound, nanoClock.getAsLong());
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
    if (!s.claimStream(st))
      throw new TargetException(
          ReceiveError.WRONG_STATE, "stream " + st + " already has an open SendPages call (one per stream)");
    stream = st;
    working.reserveFor(s.maxBatchBytes);
    decoder = new PageBatchDecoder(s.maxBatchBytes);
  }

  /** The source half-closed: the call's summary. */
  @Override
  public StreamSummary complete() {
    if (!closed) {
      closed = true;
      release();
      if (session != null) session.touch(nanoClock.getAsLong());
    }
    return tally.summary();
  }

  /** The call broke (cancelled, transport lost): the session cannot be complete, discard it. */
  @Override
  public void broken(String reason) {
    if (!closed) close("page stream broken: " + reason);
  }

  private void close(String reason) {
    closed = true;
    release();
    if (session != null) receiver.discardForStream(session, reason);
  }

  private void release() {
    decoder = null;
    working.release();
    if (session != null && stream >= 0) {
      session.releaseStream(stream);
      stream = -1;
    }
  }
}
