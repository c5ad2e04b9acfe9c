package io.dbmmigrate.dest;

import static io.dbmmigrate.dest.TargetHarness.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.tls.DevPki;
import io.dbmmigrate.net.tls.TlsCredentials;
import io.dbmmigrate.net.tls.TlsFiles;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dest-node command as deployed over mutual TLS (a real process started with --tls-cert,
 * --tls-key, --tls-ca and --allowed-source, bound to a non-loopback wildcard address): the allowed
 * source migrates a VM through the {@link TlsOptions} channel factory the source CLI uses; another
 * identity is denied; a plaintext client is refused; then a kill -9 of the destination
 * mid-session is seen by the sender as UNAVAILABLE at once.
 */
class DestNodeTlsEndToEndTest {
  @TempDir Path dir;

  @Test
  void destNodeCommandServesMutualTlsAndAuthorizesTheSource() throws Exception {
    DevPki pki = DevPki.create("e2e-ca");
    TlsFiles dest = pki.writeNode(dir.resolve("dest"), "dest-node");
    TlsFiles source = pki.writeNode(dir.resolve("source"), "source-node");
    TlsFiles intruder = pki.writeNode(dir.resolve("intruder"), "intruder");
    Path log = dir.resolve("dest.log");
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), DestNodeMain.class.getName(),
            "--bind", "0.0.0.0", "--port", "0",
            "--tls-cert", dest.certChain().toString(), "--tls-key", dest.privateKey().toString(),
            "--tls-ca", dest.trustedCa().toString(), "--allowed-source", "cn:source-node")
        .redirectError(log.toFile())
        .start();
    List<ManagedChannel> channels = new ArrayList<>();
    try (VirtualMachine vm = TargetHarness.sourceVm(3, 100)) {
      long tStart = System.nanoTime();
      int port = listeningPort(p, log);
      System.out.println("dest-node started in " + (System.nanoTime() - tStart) / 1_000_000 + " ms");
      String target = "127.0.0.1:" + port;

      ManagedChannel ok = TlsOptions.of(source, false).newChannelBuilder(target).build();
      channels.add(ok);
      TargetHarness h = TargetHarness.client(ok);
      long tMig = System.nanoTime();
      CommitResponse r = h.migrate(vm);
      System.out.println("migration over mTLS in " + (System.nanoTime() - tMig) / 1_000_000 + " ms");
      assertThat(r.getMatch()).isTrue();
      assertThat(r.getResumed()).isTrue();

      ManagedChannel bad = Grpc.newChannelBuilder(target, TlsCredentials.mutualTlsChannel(intruder)).build();
      channels.add(bad);
      assertThat(codeOf(() -> MigrationTargetGrpc.newBlockingStub(bad).withDeadlineAfter(10, TimeUnit.SECONDS)
          .beginSession(h.beginRequest(0).build()))).isEqualTo(Code.PERMISSION_DENIED);

      ManagedChannel plain = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
      channels.add(plain);
      assertThat(codeOf(() -> MigrationTargetGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
          .beginSession(h.beginRequest(0).build()))).isEqualTo(Code.UNAVAILABLE);
      assertThat(Files.readString(log)).contains("not an allowed source identity");

      // kill -9 mid-session: the next call fails with UNAVAILABLE, without waiting for its deadline.
      String s = h.begin();
      List<PageBatch> stream0 = TargetHarness.round0(vm, s).get(0);
      assertThat(h.send(stream0).ok()).isTrue();
      long t0 = System.nanoTime();
      p.destroyForcibly();
      Code after = codeOf(() -> h.blocking().withDeadlineAfter(20, TimeUnit.SECONDS).commit(
          h.commitRequest(vm, s, TargetHarness.manifest(List.of(stream0), 0)).build()));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(after).isEqualTo(Code.UNAVAILABLE);
      System.out.println("kill -9 → UNAVAILABLE after " + millis + " ms");
      assertThat(millis).as("failure seen without waiting for the 20 s deadline").isLessThan(10_000);
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int listeningPort(Process p, Path log) throws Exception {
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; )
          if (line.startsWith("DEST_LISTENING port=")) port.complete(Integer.parseInt(line.substring(20).trim()));
      } catch (Exception e) {
        // process ended
      }
      port.completeExceptionally(new IllegalStateException("dest-node exited"));
    });
    t.setDaemon(true);
    t.start();
    try {
      return port.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("dest-node did not start: " + Files.readString(log), e);
    }
  }
}
