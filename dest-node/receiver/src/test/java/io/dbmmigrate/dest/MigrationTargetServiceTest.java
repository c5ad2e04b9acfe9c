package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.SessionOptions;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.wire.PageBatchEncoder;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The receiving side over an in-process transport, with real simulated VMs on both ends. */
class MigrationTargetServiceTest {
  private static final int BATCH = 256 * 1024;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private VmHost host = new VmHost(VmHost.ReplacePolicy.REFUSE);
  private Server server;
  private ManagedChannel channel;
  private MigrationTargetGrpc.MigrationTargetBlockingStub blocking;
  private MigrationTargetGrpc.MigrationTargetStub async;
  private VirtualMachine source;

  @BeforeEach
  void start() throws Exception {
    startServer();
    source = SimulatedVms.create(spec());
    Random r = new Random(11);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    long base = VmSpec.RAM_BASE_GFN;
    for (int i = 0; i < 300; i++) {
      r.nextBytes(page);
      source.memory().writePage(base + r.nextInt(4096), page, 0);
    }
  }

  private void startServer() throws Exception {
    String name = InProcessServerBuilder.generateName();
    TargetConfig config = new TargetConfig(true, 1 << 20, 8, 60_000, MachineTuning.defaults());
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    TargetServices.create(host, config, scheduler).forEach(b::addService);
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    blocking = MigrationTargetGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    async = MigrationTargetGrpc.newStub(channel);
  }

  /** Replaces the node by one whose host has the given replacement policy. */
  private void restartWith(VmHost.ReplacePolicy policy) throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    host.close();
    host = new VmHost(policy);
    startServer();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    source.close();
    host.close();
    scheduler.shutdownNow();
  }

  private static VmSpec spec() {
    return new VmSpec(16L << 20, 64L << 10, 2, BackingPageSize.SIZE_4K, "idle", 3, MachineTuning.defaults());
  }

  private String begin(long corruptGfn) {
    return blocking
        .beginSession(
            BeginSessionRequest.newBuilder()
                .setProtocolVersion(io.dbmmigrate.wire.PageBatchFormat.CONTRACT_VERSION)
                .setSourceId("test")
                .setMigrationId("m1")
                .setLayout(ProtoConversions.layoutOf(spec()))
                .setOptions(
                    SessionOptions.newBuilder()
                        .setStreams(2)
                        .setMaxBatchBytes(BATCH)
                        .setCompression(Compression.COMPRESSION_LZ4)
                        .setTestCorruptGfn(corruptGfn))
                .build())
        .getSessionId();
  }

  /** Sends every page of the source, pages partitioned over two streams; returns the manifest. */
  private List<StreamManifest> sendAll(String session) throws Exception {
    List<StreamManifest> manifest = new ArrayList<>();
    for (int stream = 0; stream < 2; stream++) {
      PageBatchEncoder enc = new PageBatchEncoder(BATCH, true);
      List<PageBatch> batches = new ArrayList<>();
      for (var slot : source.memory().slots())
        for (long g = slot.baseGfn(); g < slot.endGfn(); g++) {
          if (((g >> 9) & 1) != stream) continue;
          if (!enc.add(g, source.memory())) {
            batches.add(enc.build(session, stream, 0, batches.size()));
            enc.add(g, source.memory());
          }
        }
      if (!enc.isEmpty()) batches.add(enc.build(session, stream, 0, batches.size()));
      send(batches).get(30, TimeUnit.SECONDS);
      manifest.add(StreamManifest.newBuilder().setStream(stream).setRound(0).setBatchCount(batches.size()).build());
    }
    return manifest;
  }

  private CompletableFuture<StreamSummary> send(List<PageBatch> batches) {
    CompletableFuture<StreamSummary> done = new CompletableFuture<>();
    StreamObserver<PageBatch> out =
        async.sendPages(
            new StreamObserver<>() {
              @Override
              public void onNext(StreamSummary s) {
                done.complete(s);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    for (PageBatch b : batches) out.onNext(b);
    out.onCompleted();
    return done;
  }

  private CommitResponse commit(String session, List<StreamManifest> manifest) {
    source.pause();
    return blocking.commit(
        CommitRequest.newBuilder()
            .setSessionId(session)
            .addAllManifest(manifest)
            .addAllVcpus(source.captureVcpuStates().stream().map(ProtoConversions::toProto).toList())
            .setSourceDigest(ProtoConversions.toProto(new MemoryDigester(2).digest(source.memory(), true)))
            .setResume(true)
            .build());
  }

  @Test
  void aCompleteTransferMatchesAndResumes() throws Exception {
    String s = begin(0);
    CommitResponse r = commit(s, sendAll(s));
    assertThat(r.getMatch()).isTrue();
    assertThat(r.getResumed()).isTrue();
    assertThat(host.state()).isEqualTo(VmHost.State.HOSTING);
    assertThat(host.current()).get().matches(VirtualMachine::isRunning);
  }

  @Test
  void aCorruptedPageIsCaughtNamedAndNotResumed() throws Exception {
    long gfn = VmSpec.RAM_BASE_GFN + 1000;
    String s = begin(gfn);
    CommitResponse r = commit(s, sendAll(s));
    assertThat(r.getMatch()).isFalse();
    assertThat(r.getResumed()).isFalse();
    assertThat(r.getMismatchedList()).hasSize(1);
    long gpa = gfn * GuestMemory.PAGE_SIZE;
    assertThat(gpa).isBetween(r.getMismatched(0).getStartGpa(),
        r.getMismatched(0).getStartGpa() + r.getMismatched(0).getLengthBytes() - 1);
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
  }

  @Test
  void aMissingBatchIsDataLossAndTheNodeAcceptsTheNextMigration() throws Exception {
    String s = begin(0);
    List<StreamManifest> manifest = new ArrayList<>(sendAll(s));
    manifest.set(0, manifest.get(0).toBuilder().setBatchCount(manifest.get(0).getBatchCount() + 1).build());
    assertThatThrownBy(() -> commit(s, manifest))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DATA_LOSS));
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
    source.resume();
    String next = begin(0);
    assertThat(commit(next, sendAll(next)).getMatch()).isTrue();
  }

  @Test
  void aSecondSessionIsRefusedWhileOneRuns() {
    begin(0);
    assertThatThrownBy(() -> begin(0))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void aBeginSessionNeverDestroysARunningVmByDefault() throws Exception {
    String first = begin(0);
    assertThat(commit(first, sendAll(first)).getResumed()).isTrue();
    VirtualMachine landed = host.current().orElseThrow();
    source.resume();

    assertThatThrownBy(() -> begin(0))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .contains("session " + first)
                  .contains("running")
                  .contains("--accept-replace");
            });
    // An Abort of the refused attempt (the pattern that destroyed the VM) changes nothing either.
    blocking.abort(AbortRequest.newBuilder().setSessionId(first).setReason("after refusal").build());
    assertThat(host.state()).isEqualTo(VmHost.State.HOSTING);
    assertThat(host.current()).containsSame(landed);
    assertThat(landed.isRunning()).isTrue();
  }

  @Test
  void aNodeStartedToAcceptReplacementReplacesItsVm() throws Exception {
    restartWith(VmHost.ReplacePolicy.ACCEPT_REPLACE);
    String first = begin(0);
    assertThat(commit(first, sendAll(first)).getResumed()).isTrue();
    VirtualMachine landed = host.current().orElseThrow();
    source.resume();

    String second = begin(0);
    assertThat(landed.isRunning()).isFalse();
    assertThat(commit(second, sendAll(second)).getResumed()).isTrue();
    assertThat(host.current()).get().isNotSameAs(landed);
  }
}
