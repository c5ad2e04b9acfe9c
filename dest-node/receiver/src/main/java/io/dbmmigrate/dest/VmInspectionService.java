package io.dbmmigrate.dest;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/** Serves the digest and progress of the VM a node hosts, so users can compare nodes. */
public final class VmInspectionService extends VmInspectionGrpc.VmInspectionImplBase {
  private final VmHost host;
  private final MemoryDigester digester = MemoryDigester.withAvailableProcessors();

  public VmInspectionService(VmHost host) {
    this.host = host;
  }

  @Override
  public void getDigest(DigestRequest req, StreamObserver<DigestResponse> out) {
    DigestResponse.Builder r = DigestResponse.newBuilder();
    VmHost.State state = host.state();
    Optional<VirtualMachine> vm = host.current();
    if (vm.isEmpty() || state == VmHost.State.RECEIVING) {
      r.setHasVm(false).setVmState(state == VmHost.State.RECEIVING ? "receiving" : "none");
    } else {
      VirtualMachine m = vm.get();
      r.setHasVm(true)
          .setVmState(m.isRunning() ? "running" : "paused")
          .setStoresRetired(m.storesRetired());
      if (!req.getProgressOnly()) {
        // Hashing stops when the caller cancels or its deadline passes (volatile flag).
        ServerCallStreamObserver<DigestResponse> call = (ServerCallStreamObserver<DigestResponse>) out;
        try {
          r.setDigest(ProtoConversions.toProto(digester.digest(m.memory(), req.getIncludeChunks(), call::isCancelled)));
        } catch (CancellationException e) {
          out.onError(Status.CANCELLED.withDescription("digest cancelled by the caller").asRuntimeException());
          return;
        }
      }
    }
    out.onNext(r.build());
    out.onCompleted();
  }
}
