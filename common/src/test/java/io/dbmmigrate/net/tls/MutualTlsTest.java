package io.dbmmigrate.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.wire.GrpcServers;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS and certificate-based authorization over a real socket, with certificates made at
 * test time. The protected service here is VmInspection (no VM needed); the destination's own
 * test binds the same interceptor to MigrationTarget.
 */
class MutualTlsTest {
  @TempDir static Path dir;
  static TlsFiles server;
  static TlsFiles source;
  static TlsFiles intruder;
  static TlsFiles foreign;
  static GrpcServers.Running running;
  static final AtomicReference<PeerIdentity> seenPeer = new AtomicReference<>();

  /** Answers with the caller's certificate CN in vm_state, so the test sees what the server saw. */
  static final class EchoPeer extends VmInspectionGrpc.VmInspectionImplBase {
    @Override
    public void getDigest(DigestRequest req, StreamObserver<DigestResponse> out) {
      PeerIdentity peer = PeerAuthorizationInterceptor.PEER_IDENTITY.get();
      seenPeer.set(peer);
      out.onNext(DigestResponse.newBuilder().setVmState(peer == null ? "?" : peer.commonName()).build());
      out.onCompleted();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    DevPki pki = DevPki.create("test-ca");
    server = pki.writeNode(dir.resolve("server"), "dest-node");
    source = pki.writeNode(dir.resolve("source"), "source-node");
    intruder = pki.writeNode(dir.resolve("intruder"), "intruder");
    foreign = DevPki.create("other-ca").writeNode(dir.resolve("foreign"), "source-node");
    PeerAuthorizationInterceptor auth =
        new PeerAuthorizationInterceptor(
            AllowedIdentities.parse(List.of("uri:spiffe://dbm-migrate/source-node")),
            Set.of(VmInspectionGrpc.SERVICE_NAME));
    running =
        GrpcServers.start(
            new GrpcServers.Settings("127.0.0.1", 0, 1 << 20, TlsCredentials.mutualTlsServer(server), List.of(auth)),
            List.of(new EchoPeer()));
  }

  @AfterAll
  static void stop() {
    if (running != null) running.shutdown(2_000);
  }

  private static <T> T withChannel(ChannelCredentials creds, java.util.function.Function<ManagedChannel, T> f) {
    ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + running.port(), creds).build();
    try {
      return f.apply(ch);
    } finally {
      ch.shutdownNow();
    }
  }

  private static DigestResponse inspect(ChannelCredentials creds) {
    return withChannel(creds, ch ->
        VmInspectionGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getDigest(DigestRequest.getDefaultInstance()));
  }

  @Test
  void allowedSourceIsAdmittedAndItsCertificateIdentityReachesTheService() {
    DigestResponse r = inspect(TlsCredentials.mutualTlsChannel(source));
    assertThat(r.getVmState()).isEqualTo("source-node");
    assertThat(seenPeer.get().uris()).containsExactly("spiffe://dbm-migrate/source-node");
  }

  @Test
  void anotherIdentityFromTheSameCaIsDenied() {
    assertThatThrownBy(() -> inspect(TlsCredentials.mutualTlsChannel(intruder)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).contains("CN=intruder").contains("not an allowed source");
        });
  }

  @Test
  void unprotectedServicesStayOpenToAnyAuthenticatedPeer() {
    HealthCheckResponse r = withChannel(TlsCredentials.mutualTlsChannel(intruder), ch ->
        HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));
    assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void clientWithoutCertificateIsRefusedInTheHandshake() {
    assertThatThrownBy(() -> inspect(TlsCredentials.serverAuthOnlyChannel(server.trustedCa())))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void certificateFromAnotherCaIsRefusedEvenWithTheAllowedName() {
    assertThatThrownBy(() -> inspect(TlsCredentials.mutualTlsChannel(
            new TlsFiles(foreign.certChain(), foreign.privateKey(), server.trustedCa()))))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void plaintextClientIsRefused() {
    assertThatThrownBy(() -> inspect(InsecureChannelCredentials.create()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void clientRefusesAServerFromAnotherCa() {
    // The source trusts only its own CA: a destination with a foreign certificate is not spoken to.
    TlsFiles distrusting = new TlsFiles(source.certChain(), source.privateKey(), foreign.trustedCa());
    assertThatThrownBy(() -> inspect(TlsCredentials.mutualTlsChannel(distrusting)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }
}
