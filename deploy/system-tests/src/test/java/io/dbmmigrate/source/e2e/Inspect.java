package io.dbmmigrate.source.e2e;

import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.source.transport.Channels;
import io.dbmmigrate.source.transport.HostPort;
import io.grpc.ManagedChannel;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/** Asks a node about the VM it hosts (VmInspection.GetDigest). */
final class Inspect implements AutoCloseable {
  private final ManagedChannel channel;

  Inspect(int port) {
    channel = Channels.open(new HostPort("127.0.0.1", port));
  }

  DigestResponse progress() {
    return call(DigestRequest.newBuilder().setProgressOnly(true).build());
  }

  DigestResponse digest() {
    return call(DigestRequest.newBuilder().build());
  }

  static String hex(DigestResponse r) {
    return HexFormat.of().formatHex(r.getDigest().getSha256().toByteArray());
  }

  private DigestResponse call(DigestRequest req) {
    return VmInspectionGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).getDigest(req);
  }

  /** Stores retired over {@code millis}: positive when the guest makes progress. */
  long storesDuring(long millis) throws InterruptedException {
    long a = progress().getStoresRetired();
    Thread.sleep(millis);
    return progress().getStoresRetired() - a;
  }

  ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    Channels.close(channel);
  }
}
