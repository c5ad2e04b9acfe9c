package io.dbmmigrate.net.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.testing.Capabilities;
import io.dbmmigrate.wire.GrpcServers;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/certs/make-dev-certs.sh makes files that gRPC loads and that authenticate both ways. */
class MakeDevCertsScriptTest {
  @Test
  void scriptCertificatesWorkForMutualTls(@TempDir Path out) throws Exception {
    Path script = Path.of("..", "deploy", "certs", "make-dev-certs.sh").toAbsolutePath().normalize();
    assertThat(script).as("the shipped script").isExecutable();
    Capabilities.assume(opensslPresent(), "openssl (Debian package openssl)");
    Process p = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();

    TlsFiles dest = new TlsFiles(out.resolve("dest-node.pem"), out.resolve("dest-node-key.pem"), out.resolve("ca.pem"));
    TlsFiles source = new TlsFiles(out.resolve("source-node.pem"), out.resolve("source-node-key.pem"), out.resolve("ca.pem"));
    GrpcServers.Running server =
        GrpcServers.start(
            new GrpcServers.Settings("127.0.0.1", 0, 1 << 20, TlsCredentials.mutualTlsServer(dest), List.of()),
            List.of());
    ManagedChannel ch =
        Grpc.newChannelBuilder("localhost:" + server.port(), TlsCredentials.mutualTlsChannel(source)).build();
    try {
      HealthCheckResponse r =
          HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      ch.shutdownNow();
      server.shutdown(2_000);
    }
    PeerIdentity id = PeerIdentity.of(
        (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(Files.newInputStream(source.certChain())));
    assertThat(id.commonName()).isEqualTo("source-node");
    assertThat(id.uris()).containsExactly("spiffe://dbm-migrate/source-node");
  }

  private static boolean opensslPresent() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException | InterruptedException e) {
      return false; // not installed (or not runnable)
    }
  }
}
