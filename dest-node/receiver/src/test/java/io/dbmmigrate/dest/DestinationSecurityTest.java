package io.dbmmigrate.dest;

import static io.dbmmigrate.dest.TargetHarness.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.net.tls.AllowedIdentities;
import io.dbmmigrate.net.tls.DevPki;
import io.dbmmigrate.net.tls.PeerAuthorizationInterceptor;
import io.dbmmigrate.net.tls.TlsCredentials;
import io.dbmmigrate.net.tls.TlsFiles;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.wire.GrpcServers;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The destination as deployed: the real service behind mutual TLS over a real socket, the
 * source-identity rule, the one-session rule and the inbound message-size limit. Certificates are
 * made at test time by {@link DevPki}.
 */
class DestinationSecurityTest {
  @TempDir static Path dir;
  static TlsFiles source;
  static TlsFiles secondSource;
  static TlsFiles intruder;
  static TargetHarness h;
  static VirtualMachine vm;
  final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    DevPki pki = DevPki.create("security-test-ca");
    TlsFiles dest = pki.writeNode(dir.resolve("dest"), "dest-node");
    source = pki.writeNode(dir.resolve("source"), "source-node");
    secondSource = pki.writeNode(dir.resolve("source-b"), "source-b");
    intruder = pki.writeNode(dir.resolve("intruder"), "intruder");
    TargetConfig config = TargetHarness.config(false);
    GrpcServers.Settings settings =
        new GrpcServers.Settings(
            "127.0.0.1", 0, config.maxInboundMessageBytes(), TlsCredentials.mutualTlsServer(dest),
            List.of(PeerAuthorizationInterceptor.forMigrationTarget(
                AllowedIdentities.parse(List.of("uri:spiffe://dbm-migrate/source-node", "cn:source-b")))));
    h = TargetHarness.overSocket(config, settings);
    vm = TargetHarness.sourceVm(7, 150);
  }

  @AfterAll
  static void stop() {
    if (vm != null) vm.close();
    if (h != null) h.close();
  }

  @BeforeEach
  void asSource() {
    h.host.close();
    h.useChannel(channel(TlsCredentials.mutualTlsChannel(source)));
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  ManagedChannel channel(ChannelCredentials creds) {
    ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + h.port(), creds).build();
    channels.add(ch);
    return ch;
  }

  MigrationTargetGrpc.MigrationTargetBlockingStub stub(ChannelCredentials creds) {
    return MigrationTargetGrpc.newBlockingStub(channel(creds)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  void assertHealthyAndMigrates() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(h.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    CommitResponse r = h.migrate(vm);
    assertThat(r.getMatch()).isTrue();
    assertThat(r.getResumed()).isTrue();
  }

  @Test
  void theAllowedSourceMigratesOverMutualTls() {
    assertHealthyAndMigrates();
    assertThat(h.host.state()).isEqualTo(VmHost.State.HOSTING);
  }

  @Test
  void anUnauthorizedIdentityIsDeniedOnEveryMigrationTargetMethod() {
    MigrationTargetGrpc.MigrationTargetBlockingStub bad = stub(TlsCredentials.mutualTlsChannel(intruder));
    assertThat(codeOf(() -> bad.beginSession(h.beginRequest(0).build()))).isEqualTo(Code.PERMISSION_DENIED);
    // Even with a live session id (learnt somehow), it can neither abort nor commit it.
    String live = h.begin();
    assertThat(codeOf(() -> bad.abort(AbortRequest.newBuilder().setSessionId(live).build())))
        .isEqualTo(Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> bad.commit(CommitRequest.newBuilder().setSessionId(live).build())))
        .isEqualTo(Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> bad.heartbeat(HeartbeatRequest.newBuilder().setSessionId(live).build())))
        .isEqualTo(Code.PERMISSION_DENIED);
    ManagedChannel intruderChannel = channel(TlsCredentials.mutualTlsChannel(intruder));
    TargetHarness viaIntruder = h;
    viaIntruder.useChannel(intruderChannel);
    assertThat(viaIntruder.send(List.of(TargetHarness.round0(vm, live).get(0).get(0))).code())
        .isEqualTo(Code.PERMISSION_DENIED);
    // The rightful session is untouched and completes.
    h.useChannel(channel(TlsCredentials.mutualTlsChannel(source)));
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, live);
    for (List<PageBatch> s : r0) assertThat(h.send(s).ok()).isTrue();
    CommitResponse r = h.blocking().commit(h.commitRequest(vm, live, TargetHarness.manifest(r0, 0)).build());
    assertThat(r.getResumed()).isTrue();
  }

  @Test
  void aClientWithoutCertificateIsRefused() {
    assertThat(codeOf(() -> stub(TlsCredentials.serverAuthOnlyChannel(source.trustedCa()))
        .beginSession(h.beginRequest(0).build()))).isEqualTo(Code.UNAVAILABLE);
    assertThat(h.host.state()).isEqualTo(VmHost.State.EMPTY);
    assertHealthyAndMigrates();
  }

  @Test
  void aPlaintextClientIsRefused() {
    assertThat(codeOf(() -> stub(InsecureChannelCredentials.create()).beginSession(h.beginRequest(0).build())))
        .isEqualTo(Code.UNAVAILABLE);
    assertThat(h.host.state()).isEqualTo(VmHost.State.EMPTY);
    assertHealthyAndMigrates();
  }

  @Test
  void aSecondSourceIsRefusedWhileTheDestinationIsBusy() {
    String first = h.begin();
    MigrationTargetGrpc.MigrationTargetBlockingStub second = stub(TlsCredentials.mutualTlsChannel(secondSource));
    assertThat(codeOf(() -> second.beginSession(h.beginRequest(0).build()))).isEqualTo(Code.FAILED_PRECONDITION);
    // The refusal did not disturb the running session.
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, first);
    for (List<PageBatch> s : r0) assertThat(h.send(s).ok()).isTrue();
    CommitResponse r = h.blocking().commit(h.commitRequest(vm, first, TargetHarness.manifest(r0, 0)).build());
    assertThat(r.getMatch()).isTrue();
    assertThat(r.getResumed()).isTrue();
  }

  @Test
  void aMessageOverTheInboundLimitIsResourceExhaustedAndTheNodeStaysHealthy() {
    String s = h.begin();
    List<PageBatch> stream0 = TargetHarness.round0(vm, s).get(0);
    int limit = h.config.maxInboundMessageBytes();
    PageBatch huge = stream0.get(1).toBuilder().setPayload(ByteString.copyFrom(new byte[limit + 1])).build();
    assertThat(huge.getSerializedSize()).isGreaterThan(limit);
    // A valid batch ties the call to the session; the oversized one then breaks the call.
    assertThat(h.send(List.of(stream0.get(0), huge)).code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    // The transport refused it before the service saw it; the service learns of the broken call
    // asynchronously and discards the session.
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> h.host.state() == VmHost.State.EMPTY);
    assertThat(codeOf(() -> h.blocking().commit(h.commitRequest(vm, s, List.of()).build()))).isEqualTo(Code.NOT_FOUND);
    assertHealthyAndMigrates();
  }

  @Test
  void anOversizedFirstMessageBreaksOnlyItsOwnCall() {
    // Nothing on the call named a session yet, so the session is not touched: the source may retry
    // and complete; whatever it failed to deliver would be caught by the manifest and the digest.
    String s = h.begin();
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, s);
    PageBatch huge = r0.get(0).get(0).toBuilder()
        .setPayload(ByteString.copyFrom(new byte[h.config.maxInboundMessageBytes() + 1])).build();
    assertThat(h.send(List.of(huge)).code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    for (List<PageBatch> st : r0) assertThat(h.send(st).ok()).isTrue();
    CommitResponse r = h.blocking().commit(h.commitRequest(vm, s, TargetHarness.manifest(r0, 0)).build());
    assertThat(r.getMatch()).isTrue();
    assertThat(r.getResumed()).isTrue();
  }
}
