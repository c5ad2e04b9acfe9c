package io.dbmmigrate.dest;

import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.BatchFormatException;
import io.dbmmigrate.wire.InboundBatch;
import io.dbmmigrate.wire.PageBatchDecoder;
import java.util.function.LongSupplier;

/**
 * One WarmUpPages call: batches checked and decoded exactly as a {@link PageStream}'s, through the
 * same code ({@link ReceiveSession#warmUp}, {@link PageBatchDecoder#applyTo}), placed into a
 * scratch memory of the guest's layout (sparse, created at the first batch, released when the call
 * ends), never into the VM. Its purpose is to have the JIT compile the receive path before the
 * measured rounds.
 *
 * <p>A refusal ends this call only: the session is unaffected (no VM state changed). The stream's
 * working memory is reserved from the {@link InboundBudget} as a page stream's is.
 *
 * <p>Threading: the transport delivers one callback at a time (not thread-safe otherwise).
 */
final class WarmUpStream implements BatchSink {
  private final Receiver receiver;
  private final StreamWorkingMemory working;
  private final LongSupplier nanoClock;
  private ReceiveSession session;
  private GuestMemory scratch;
  private PageBatchDecoder decoder;
  private boolean closed;
  private final StreamTally tally = new StreamTally();

  WarmUpStream(Receiver receiver, InboundBudget budget, LongSupplier nanoClock) {
    this.receiver = receiver;
    this.working = new StreamWorkingMemory(budget);
    this.nanoClock = nanoClock;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void apply(InboundBatch inbound) throws TargetException {
    if (closed) throw new TargetException(ReceiveError.ENDED, "warm-up stream already closed");
    boolean ok = false;
    try {
      final PageBatch batch;
      try {
        batch = inbound.decode();
      } catch (BatchFormatException e) {
        throw TargetException.invalid("malformed page batch: " + e.getMessage());
      }
      if (session == null) bind(batch);
      else if (!session.id.equals(batch.getSessionId()))
        throw TargetException.invalid("a warm-up stream must carry one session only");
      session.warmUp(decoder, inbound, scratch, nanoClock.getAsLong());
      tally.applied(batch, inbound);
      ok = true;
    } finally {
      if (!ok) release();
    }
  }

  private void bind(PageBatch first) throws TargetException {
    ReceiveSession s = receiver.sessionForStream(first.getSessionId());
    working.reserveFor(s.maxBatchBytes);
    session = s;
    decoder = new PageBatchDecoder(s.maxBatchBytes);
    scratch = new ChunkedGuestMemory(s.slots());
  }

  @Override
  public StreamSummary complete() {
    release();
    return tally.summary();
  }

  @Override
  public void broken(String reason) {
    release();
  }

  private void release() {
    closed = true;
    decoder = null;
    if (scratch != null) {
      scratch.close(); // nobody else ever saw it; this call's thread is the only one touching it
      scratch = null;
    }
    working.release();
  }
}
