package io.dbmmigrate.dest;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.MemoryDigest;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.SessionOptions;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.wire.GrpcServers;
import io.dbmmigrate.wire.PageBatchEncoder;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A destination (the real {@link MigrationTargetService} over a real {@link VmHost} with real
 * simulated VMs) and a hand-driven source client that can send anything, correct or not. Tests use
 * it in-process ({@link #inProcess}) or over a real socket ({@link #overSocket}).
 */
final class TargetHarness implements AutoCloseable {
  static final int BATCH_BYTES = 64 * 1024;
  static final int STREAMS = 2;

  /**
   * The node accepts replacement: hostile cases are each followed by a correct migration on the
   * same node, which must land even though the previous case's VM runs there.
   */
  final VmHost host = new VmHost(VmHost.ReplacePolicy.ACCEPT_REPLACE);
  final TargetConfig config;
  /** The receiver behind the services (state, budget). */
  final Receiver receiver;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Server inProcessServer;
  private final GrpcServers.Running socketServer;
  private ManagedChannel channel;

  private TargetHarness(TargetConfig config, GuestCapacity guestCapacity, GrpcServers.Settings socketSettings)
      throws Exception {
    this.config = config;
    TargetServices.Target target = TargetServices.create(host, config, guestCapacity, scheduler, System::nanoTime);
    this.receiver = target.receiver();
    if (socketSettings == null) {
      String name = InProcessServerBuilder.generateName();
      InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
      target.services().forEach(b::addService);
      inProcessServer = b.build().start();
      socketServer = null;
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    } else {
      inProcessServer = null;
      socketServer = GrpcServers.start(socketSettings, target.services());
    }
  }

  /** Guest capacity of the harness nodes: plenty (the tests' guests are sparse and small). */
  static final GuestCapacity PLENTY = GuestCapacity.fixed(1L << 40);

  static TargetConfig config(boolean allowTestFaults) {
    return new TargetConfig(allowTestFaults, BATCH_BYTES, 8, 60_000, MachineTuning.defaults());
  }

  static TargetHarness inProcess(TargetConfig config) throws Exception {
    return new TargetHarness(config, PLENTY, null);
  }

  static TargetHarness inProcess(TargetConfig config, GuestCapacity guestCapacity) throws Exception {
    return new TargetHarness(config, guestCapacity, null);
  }

  /** A Netty server with these settings' credentials and interceptors; connect with {@link #useChannel}. */
  static TargetHarness overSocket(TargetConfig config, GrpcServers.Settings settings) throws Exception {
    return new TargetHarness(config, PLENTY, settings);
  }

  int port() {
    return socketServer.port();
  }

  void useChannel(ManagedChannel ch) {
    if (channel != null) channel.shutdownNow();
    channel = ch;
  }

  Channel channel() {
    return channel;
  }

  MigrationTargetGrpc.MigrationTargetBlockingStub blocking() {
    return MigrationTargetGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (channel != null) channel.shutdownNow();
    if (inProcessServer != null) inProcessServer.shutdownNow();
    if (socketServer != null) socketServer.shutdown(2_000);
    host.close();
    scheduler.shutdownNow();
  }

  // ---- the VM being "migrated": a real simulated VM, paused, filled by host writes ----

  static VmSpec spec() {
    return new VmSpec(8L << 20, 64L << 10, 2, BackingPageSize.SIZE_4K, "idle", 3, MachineTuning.defaults());
  }

  /** A paused source VM with `pages` random RAM pages written (seeded). */
  static VirtualMachine sourceVm(long seed, int pages) {
    VirtualMachine vm = SimulatedVms.create(spec());
    vm.pause();
    Random r = new Random(seed);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    MemorySlotSpec ram = ram(vm);
    for (int i = 0; i < pages; i++) {
      r.nextBytes(page);
      vm.memory().writePage(ram.baseGfn() + r.nextInt((int) ram.pageCount()), page, 0);
    }
    return vm;
  }

  static MemorySlotSpec ram(VirtualMachine vm) {
    for (MemorySlotSpec s : vm.memory().slots()) if (!s.readOnly()) return s;
    throw new IllegalStateException("no RAM slot");
  }

  static MemorySlotSpec rom(VirtualMachine vm) {
    for (MemorySlotSpec s : vm.memory().slots()) if (s.readOnly()) return s;
    throw new IllegalStateException("no ROM slot");
  }

  static int streamOf(long gfn) {
    return (int) ((gfn >> 9) % STREAMS);
  }

  // ---- protocol steps ----

  BeginSessionRequest.Builder beginRequest(long corruptGfn) {
    return BeginSessionRequest.newBuilder()
        .setProtocolVersion(io.dbmmigrate.wire.PageBatchFormat.CONTRACT_VERSION)
        .setSourceId("harness")
        .setMigrationId("m")
        .setLayout(ProtoConversions.layoutOf(spec()))
        .setOptions(
            SessionOptions.newBuilder()
                .setStreams(STREAMS)
                .setMaxBatchBytes(BATCH_BYTES)
                .setCompression(Compression.COMPRESSION_LZ4)
                .setTestCorruptGfn(corruptGfn));
  }

  String begin() {
    return blocking().beginSession(beginRequest(0).build()).getSessionId();
  }

  /** The batches that carry the given pages of vm on one stream in one round (sequence from 0). */
  static List<PageBatch> batches(VirtualMachine vm, String session, int stream, int round, long[] gfns, boolean lz4) {
    PageBatchEncoder enc = new PageBatchEncoder(BATCH_BYTES, lz4);
    List<PageBatch> out = new ArrayList<>();
    for (long g : gfns) {
      if (!enc.add(g, vm.memory())) {
        out.add(enc.build(session, stream, round, out.size()));
        enc.add(g, vm.memory());
      }
    }
    if (!enc.isEmpty()) out.add(enc.build(session, stream, round, out.size()));
    return out;
  }

  /** Every page of every slot of vm on its stream, round 0. */
  static List<List<PageBatch>> round0(VirtualMachine vm, String session) {
    List<List<PageBatch>> perStream = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      List<Long> gfns = new ArrayList<>();
      for (MemorySlotSpec slot : vm.memory().slots())
        for (long g = slot.baseGfn(); g < slot.endGfn(); g++) if (streamOf(g) == s) gfns.add(g);
      perStream.add(batches(vm, session, s, 0, gfns.stream().mapToLong(Long::longValue).toArray(), true));
    }
    return perStream;
  }

  /** Outcome of one SendPages call: the summary, or the status it failed with. */
  record StreamResult(StreamSummary summary, Status status) {
    boolean ok() {
      return summary != null;
    }

    Status.Code code() {
      return ok() ? Status.Code.OK : status.getCode();
    }
  }

  /** One SendPages call carrying these batches, then half-close; waits for the outcome. */
  StreamResult send(List<PageBatch> batches) {
    return call(batches, false);
  }

  /** One WarmUpPages call carrying these batches, then half-close; waits for the outcome. */
  StreamResult warmUp(List<PageBatch> batches) {
    return call(batches, true);
  }

  private StreamResult call(List<PageBatch> batches, boolean warmUp) {
    CompletableFuture<StreamResult> done = new CompletableFuture<>();
    MigrationTargetGrpc.MigrationTargetStub stub =
        MigrationTargetGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    StreamObserver<StreamSummary> in =
                new StreamObserver<>() {
                  @Override
                  public void onNext(StreamSummary s) {
                    done.complete(new StreamResult(s, null));
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.complete(new StreamResult(null, Status.fromThrowable(t)));
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(new StreamResult(null, Status.INTERNAL.withDescription("completed without summary")));
                  }
                };
    StreamObserver<PageBatch> out = warmUp ? stub.warmUpPages(in) : stub.sendPages(in);
    try {
      for (PageBatch b : batches) {
        if (done.isDone()) break; // refused: the server has closed the call
        out.onNext(b);
      }
      out.onCompleted();
    } catch (RuntimeException e) {
      // the call may already be closed by the server; its status arrives through onError
    }
    try {
      return done.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      throw new AssertionError("SendPages did not finish", e);
    }
  }

  static List<StreamManifest> manifest(List<List<PageBatch>> perStream, int round) {
    List<StreamManifest> m = new ArrayList<>();
    for (int s = 0; s < perStream.size(); s++)
      if (!perStream.get(s).isEmpty())
        m.add(StreamManifest.newBuilder().setStream(s).setRound(round).setBatchCount(perStream.get(s).size()).build());
    return m;
  }

  static MemoryDigest digest(VirtualMachine vm) {
    return ProtoConversions.toProto(new MemoryDigester(2).digest(vm.memory(), true));
  }

  CommitRequest.Builder commitRequest(VirtualMachine vm, String session, List<StreamManifest> manifest) {
    return CommitRequest.newBuilder()
        .setSessionId(session)
        .addAllManifest(manifest)
        .addAllVcpus(vm.captureVcpuStates().stream().map(ProtoConversions::toProto).toList())
        .setSourceDigest(digest(vm))
        .setResume(true);
  }

  /** The status code of a unary call (OK when it returned). */
  static Status.Code codeOf(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** The status of a unary call (OK when it returned). */
  static Status statusOf(Runnable call) {
    try {
      call.run();
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  // ---- raw bytes on any method, for malformed and mutated messages ----

  /** Methods of the node, by full name, with whether they are client-streaming. */
  static final List<String> UNARY_METHODS =
      List.of(
          "dbm.migrate.v1.MigrationTarget/BeginSession",
          "dbm.migrate.v1.MigrationTarget/Commit",
          "dbm.migrate.v1.MigrationTarget/Abort",
          "dbm.migrate.v1.MigrationTarget/Heartbeat",
          "dbm.migrate.v1.VmInspection/GetDigest");
  static final String SEND_PAGES = "dbm.migrate.v1.MigrationTarget/SendPages";
  /** The bidi post-copy call (issue 13). */
  static final String POSTCOPY = "dbm.migrate.v1.MigrationTarget/Postcopy";

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static MethodDescriptor<byte[], byte[]> rawMethod(String fullName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES)
        .setFullMethodName(fullName)
        .setType(
            fullName.equals(SEND_PAGES)
                ? MethodDescriptor.MethodType.CLIENT_STREAMING
                : fullName.equals(POSTCOPY) ? MethodDescriptor.MethodType.BIDI_STREAMING : MethodDescriptor.MethodType.UNARY)
        .build();
  }

  /** Sends these bytes as the request of a method (SendPages: as its messages, then half-close). */
  Status raw(String fullName, CallOptions options, List<byte[]> messages) {
    return rawCall(fullName, options, messages).status();
  }

  /** The status and, on OK, the response bytes of a raw call. */
  record RawResult(Status status, byte[] response) {}

  RawResult rawCall(String fullName, CallOptions options, List<byte[]> messages) {
    CompletableFuture<RawResult> done = new CompletableFuture<>();
    byte[][] response = new byte[1][];
    ClientCall<byte[], byte[]> call =
        channel.newCall(rawMethod(fullName), options.withDeadlineAfter(30, TimeUnit.SECONDS));
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            response[0] = message;
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(new RawResult(status, response[0]));
          }
        },
        new Metadata());
    // A bidi call may answer several messages before its status: take them all (the last is kept).
    call.request(fullName.equals(POSTCOPY) ? Integer.MAX_VALUE : 1);
    try {
      for (byte[] m : messages) {
        if (done.isDone()) break;
        call.sendMessage(m);
      }
      call.halfClose();
    } catch (RuntimeException e) {
      // closed by the server meanwhile; its status arrives through onClose
    }
    try {
      return done.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      call.cancel("test gave up", e);
      throw new AssertionError(fullName + " did not finish", e);
    }
  }

  boolean abort(String session) {
    return blocking().abort(AbortRequest.newBuilder().setSessionId(session).setReason("test").build()).getAborted();
  }

  DigestResponse inspect() {
    return VmInspectionGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .getDigest(DigestRequest.getDefaultInstance());
  }

  /** A complete, correct migration of vm; returns the commit response. */
  CommitResponse migrate(VirtualMachine vm) {
    String session = begin();
    List<List<PageBatch>> r0 = round0(vm, session);
    for (List<PageBatch> stream : r0) {
      StreamResult res = send(stream);
      if (!res.ok()) throw new AssertionError("correct stream refused: " + res.status());
    }
    return blocking().commit(commitRequest(vm, session, manifest(r0, 0)).build());
  }
}
