package io.dbmmigrate.source.control;

import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.PhaseChange;
import io.dbmmigrate.proto.v1.Progress;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import io.dbmmigrate.source.migration.MigrationListener;
import io.dbmmigrate.source.migration.MigrationPhase;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * Streams a migration's events to a StartMigration caller; the summary is the last event, then the
 * call completes.
 *
 * <p>Concurrency: events come from the controller thread and (progress) from page-stream threads;
 * every send is synchronized on this, because a gRPC StreamObserver is not thread-safe. Events are
 * small and few (progress at most 5 per second), so they are sent without waiting for isReady:
 * what gRPC buffers for a slow client stays bounded by the migration's length. Once the client has
 * gone, events are dropped.
 */
final class EventStreamListener implements MigrationListener {
  private final ServerCallStreamObserver<MigrationEvent> out;
  private boolean done;

  EventStreamListener(ServerCallStreamObserver<MigrationEvent> out) {
    this.out = out;
  }

  private synchronized void send(MigrationEvent e) {
    if (done || out.isCancelled()) return;
    try {
      out.onNext(e);
    } catch (RuntimeException ignored) {
      done = true; // the call is gone; the migration goes on
    }
  }

  @Override
  public void onPhase(MigrationPhase phase, String detail) {
    send(
        MigrationEvent.newBuilder()
            .setPhase(PhaseChange.newBuilder().setPhase(ProtoEvents.toProto(phase)).setDetail(detail == null ? "" : detail))
            .build());
  }

  @Override
  public void onProgress(int round, long pagesDone, long pagesTotal, long bytesSentTotal) {
    send(
        MigrationEvent.newBuilder()
            .setProgress(
                Progress.newBuilder()
                    .setRound(round)
                    .setPagesDone(pagesDone)
                    .setPagesTotal(pagesTotal)
                    .setBytesSentTotal(bytesSentTotal))
            .build());
  }

  @Override
  public void onRound(RoundRecord round) {
    send(MigrationEvent.newBuilder().setRound(ProtoEvents.toProto(round)).build());
  }

  @Override
  public void onFinished(MigrationReport report) {
    send(MigrationEvent.newBuilder().setSummary(ProtoEvents.toProto(report)).build());
    synchronized (this) {
      if (done || out.isCancelled()) return;
      done = true;
      try {
        out.onCompleted();
      } catch (RuntimeException ignored) {
        // client gone
      }
    }
  }
}
