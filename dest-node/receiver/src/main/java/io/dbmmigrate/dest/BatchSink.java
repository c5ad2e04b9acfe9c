package io.dbmmigrate.dest;

import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.InboundBatch;

/**
 * Where one client-streaming call of page batches goes: a {@link PageStream} (SendPages, into the
 * VM) or a {@link WarmUpStream} (WarmUpPages, into a scratch memory). The service feeds it one
 * callback at a time.
 */
interface BatchSink {
  boolean isClosed();

  /** Checks and applies one batch; the caller releases the holder. On refusal the sink is closed. */
  void apply(InboundBatch inbound) throws TargetException;

  /** The client half-closed: the call's summary. */
  StreamSummary complete();

  /** The call broke (cancelled, transport lost). */
  void broken(String reason);
}
