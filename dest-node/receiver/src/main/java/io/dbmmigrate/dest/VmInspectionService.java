package io.dbmmigrate.dest;

import com.google.protobuf.ByteString;
import io.dbmmigrate.digest.ChunkLayout;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.DumpChunk;
import io.dbmmigrate.proto.v1.DumpRequest;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.machine.MemoryImage;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Serves the digest, the raw image and the progress of the VM a node hosts, so users can compare
 * nodes and check digests with their own tools. A running VM is read through a write-protect
 * snapshot ({@link MemoryImage}): the image of one instant while the guest keeps running.
 */
public final class VmInspectionService extends VmInspectionGrpc.VmInspectionImplBase {
  static final int DEFAULT_DUMP_MESSAGE_BYTES = 1 << 20;
  static final int MAX_DUMP_MESSAGE_BYTES = 4 << 20;

  private final VmHost host;
  private final MemoryDigester digester = MemoryDigester.withAvailableProcessors();

  public VmInspectionService(VmHost host) {
    this.host = host;
  }

  private Optional<VirtualMachine> hostedVm() {
    return host.state() == VmHost.State.RECEIVING ? Optional.empty() : host.current();
  }

  @Override
  public void getDigest(DigestRequest req, StreamObserver<DigestResponse> out) {
    DigestResponse.Builder r = DigestResponse.newBuilder();
    VmHost.State state = host.state();
    Optional<VirtualMachine> vm = hostedVm();
    if (vm.isEmpty()) {
      r.setHasVm(false).setVmState(state == VmHost.State.RECEIVING ? "receiving" : "none");
    } else {
      VirtualMachine m = vm.get();
      r.setHasVm(true)
          .setVmState(m.isRunning() ? "running" : "paused")
          .setStoresRetired(m.storesRetired());
      for (var slot : m.memory().slots()) r.addSlots(ProtoConversions.toProto(slot));
      if (!req.getProgressOnly()) {
        // Hashing stops when the caller cancels or its deadline passes (volatile flag).
        ServerCallStreamObserver<DigestResponse> call = (ServerCallStreamObserver<DigestResponse>) out;
        try (MemoryImage image = MemoryImage.of(m)) {
          Digest d = image.digest(digester, req.getFlat(), call::isCancelled);
          if (!req.getIncludeChunks()) d = new Digest(d.treeRoot(), List.of(), d.sha256(), d.chunkBytes(), d.memoryBytes(), d.hashMillis());
          r.setDigest(ProtoConversions.toProto(d)).setConsistency(image.consistency());
        } catch (CancellationException e) {
          out.onError(Status.CANCELLED.withDescription("digest cancelled by the caller").asRuntimeException());
          return;
        } catch (IllegalStateException e) {
          out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
          return;
        }
      }
    }
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public void dump(DumpRequest req, StreamObserver<DumpChunk> out) {
    Optional<VirtualMachine> vm = hostedVm();
    if (vm.isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("no VM is hosted on this node").asRuntimeException());
      return;
    }
    int messageBytes = req.getChunkBytes() == 0 ? DEFAULT_DUMP_MESSAGE_BYTES : req.getChunkBytes();
    if (messageBytes < 4096 || messageBytes > MAX_DUMP_MESSAGE_BYTES) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("chunk_bytes must be 4096.." + MAX_DUMP_MESSAGE_BYTES).asRuntimeException());
      return;
    }
    MemoryImage image;
    try {
      image = MemoryImage.of(vm.get());
    } catch (IllegalStateException e) {
      out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    ServerCallStreamObserver<DumpChunk> call = (ServerCallStreamObserver<DumpChunk>) out;
    DumpProducer p = new DumpProducer(image, call, messageBytes);
    call.setOnCancelHandler(p::cancel);
    call.setOnReadyHandler(p::drain);
    p.drain();
  }

  /**
   * Produces the image while the call is ready (flow control: never more than the transport's
   * window ahead of the client); continues from the ready handler. The image is read chunk by
   * chunk (2 MiB, one claim of the snapshot each), hashed as sent (tree and flat), and closed at
   * the end or on cancel. Callbacks of one call are serialized by gRPC; {@code synchronized}
   * covers the first drain from the handler thread.
   */
  private static final class DumpProducer {
    private final MemoryImage image;
    private final ServerCallStreamObserver<DumpChunk> call;
    private final int messageBytes;
    private final ChunkLayout layout;
    private final ByteBuffer chunk;
    private final MessageDigest flat = MemoryDigester.sha256();
    private final MessageDigest chunkMd = MemoryDigester.sha256();
    private final List<byte[]> chunkDigests = new ArrayList<>();
    private final long t0 = System.nanoTime();
    private int next;
    private long offset;
    private boolean done;

    DumpProducer(MemoryImage image, ServerCallStreamObserver<DumpChunk> call, int messageBytes) {
      this.image = image;
      this.call = call;
      this.messageBytes = messageBytes;
      this.layout = image.layout();
      this.chunk = ByteBuffer.allocateDirect((int) layout.chunkBytes());
      chunk.limit(0);
    }

    synchronized void drain() {
      try {
        while (!done && call.isReady()) {
          if (!chunk.hasRemaining()) {
            if (next == layout.chunkCount()) {
              finish();
              return;
            }
            chunk.clear();
            image.readChunk(next++, chunk);
            chunk.flip();
            chunkMd.update(chunk.duplicate());
            flat.update(chunk.duplicate());
            chunkDigests.add(chunkMd.digest());
          }
          int n = Math.min(messageBytes, chunk.remaining());
          ByteBuffer slice = chunk.slice();
          slice.limit(n);
          call.onNext(DumpChunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(slice)).build());
          chunk.position(chunk.position() + n);
          offset += n;
        }
      } catch (RuntimeException e) {
        done = true;
        image.close();
        call.onError(Status.INTERNAL.withDescription("dump failed: " + e.getMessage()).asRuntimeException());
      }
    }

    private void finish() {
      done = true;
      Digest d =
          new Digest(
              Digest.rootOf(chunkDigests), chunkDigests, flat.digest(), layout.chunkBytes(),
              layout.memoryBytes(), (System.nanoTime() - t0) / 1_000_000);
      String consistency = image.consistency();
      image.close();
      call.onNext(
          DumpChunk.newBuilder()
              .setOffset(offset)
              .setDigest(ProtoConversions.toProto(d))
              .setConsistency(consistency)
              .build());
      call.onCompleted();
    }

    synchronized void cancel() {
      done = true;
      image.close();
    }
  }
}
