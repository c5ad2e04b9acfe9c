package io.dbmmigrate.source.failure;

import io.dbmmigrate.proto.v1.CancelRequest;
import io.dbmmigrate.proto.v1.CancelResponse;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.MigrationControlGrpc;
import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationStatus;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.StartMigrationRequest;
import io.dbmmigrate.proto.v1.StatusRequest;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.source.nodes.NodeProcess;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A plaintext (loopback) client of a node's control and inspection services. */
final class NodeClient implements AutoCloseable {
  final ManagedChannel channel;

  NodeClient(NodeProcess node) throws InterruptedException {
    this.channel = Grpc.newChannelBuilder(node.target(), InsecureChannelCredentials.create()).build();
  }

  DigestResponse progress() {
    return VmInspectionGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getDigest(DigestRequest.newBuilder().setProgressOnly(true).build());
  }

  DigestResponse digest() {
    return VmInspectionGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .getDigest(DigestRequest.getDefaultInstance());
  }

  MigrationStatus status() {
    return MigrationControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getStatus(StatusRequest.getDefaultInstance());
  }

  CancelResponse cancel(String reason) {
    return MigrationControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .cancel(CancelRequest.newBuilder().setReason(reason).build());
  }

  /** Starts a migration through the control API; events are collected as they arrive. */
  Migration start(String target, MigrationParameters params) {
    Migration m = new Migration();
    MigrationControlGrpc.newStub(channel).startMigration(
        StartMigrationRequest.newBuilder().setTarget(target).setParameters(params).build(), m);
    return m;
  }

  /** A running StartMigration call. */
  static final class Migration implements StreamObserver<MigrationEvent> {
    final List<MigrationEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<MigrationSummary> summary = new CompletableFuture<>();
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

    private record Waiter(Predicate<MigrationEvent> p, CompletableFuture<MigrationEvent> f) {}

    @Override
    public void onNext(MigrationEvent e) {
      events.add(e);
      for (Waiter w : waiters) if (!w.f.isDone() && w.p.test(e)) w.f.complete(e);
      if (e.hasSummary()) summary.complete(e.getSummary());
    }

    @Override
    public void onError(Throwable t) {
      summary.completeExceptionally(t);
      for (Waiter w : waiters) w.f.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      if (!summary.isDone()) summary.completeExceptionally(new IllegalStateException("ended without a summary"));
      for (Waiter w : waiters) w.f.completeExceptionally(new IllegalStateException("ended before the awaited event"));
    }

    /** The first event (past or future) matching p; fails when the migration ends first. */
    MigrationEvent await(Predicate<MigrationEvent> p, long timeoutMillis) throws Exception {
      CompletableFuture<MigrationEvent> f = new CompletableFuture<>();
      waiters.add(new Waiter(p, f));
      for (MigrationEvent e : events) if (p.test(e)) f.complete(e);
      if (summary.isDone() && !f.isDone()) f.completeExceptionally(new IllegalStateException(
          "migration ended before the awaited event: " + summary.getNow(null)));
      return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    MigrationSummary awaitSummary(long timeoutMillis) throws Exception {
      return summary.get(timeoutMillis, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
