package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.tls.DevPki;
import io.dbmmigrate.net.tls.TlsFiles;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both node commands over mutual TLS, certificates made at test time (the destination bound to all
 * interfaces, where plaintext is refused unless asked for): {@code source-node migrate}
 * with the allowed identity moves the VM (exit 0, digests match); the same command with a
 * certificate of another identity from the same CA is refused with PERMISSION_DENIED before any
 * page moves (exit 1), and the destination is left empty and usable.
 */
class MutualTlsEndToEndIT {
  @TempDir Path dir;

  @Test
  void onlyTheAllowedSourceIdentityCanSendAVm() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      DevPki pki = DevPki.create("e2e-ca");
      TlsFiles dest = pki.writeNode(dir.resolve("dest"), "dest-node");
      TlsFiles good = pki.writeNode(dir.resolve("good"), "source-node");
      TlsFiles bad = pki.writeNode(dir.resolve("bad"), "rogue-source");
      NodeProcess destination = f.destination("dest", "--bind", "0.0.0.0",
          "--tls-cert", dest.certChain().toString(), "--tls-key", dest.privateKey().toString(),
          "--tls-ca", dest.trustedCa().toString(), "--allowed-source", "uri:spiffe://dbm-migrate/source-node");
      try {
        NodeProcess.Exit refused = migrate(destination, bad, "rogue");
        assertThat(refused.code()).as(refused.stderr()).isEqualTo(1);
        assertThat(refused.stdout() + refused.stderr()).contains("PERMISSION_DENIED");
        assertThat(destination.logContains("CN=rogue-source")).isTrue();

        NodeProcess.Exit ok = migrate(destination, good, "source");
        assertThat(ok.code()).as(ok.stderr()).isZero();
        System.out.println("RELIABILITY mtls: rogue identity refused (exit " + refused.code()
            + "), allowed identity migrated (exit " + ok.code() + ")");
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }

  private NodeProcess.Exit migrate(NodeProcess destination, TlsFiles tls, String name) throws Exception {
    return NodeProcess.runSource(dir, name, "384m", 120_000,
        "migrate", "--target", destination.target(), "--ram", "16m", "--vcpus", "1", "--workload", "random:rate=5",
        "--warmup-ms", "100", "--observe-after-ms", "0", "--no-progress",
        "--tls-cert", tls.certChain().toString(), "--tls-key", tls.privateKey().toString(),
        "--tls-ca", tls.trustedCa().toString());
  }
}
