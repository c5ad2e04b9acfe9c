package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.jvm.JitClock;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.AbortRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.HeartbeatResponse;
import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.Status;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The receiver domain without any transport: states, error kinds, and their one mapping. */
class ReceiverTest {
  private final AtomicLong clock = new AtomicLong();
  private final VmHost host = new VmHost(VmHost.ReplacePolicy.REFUSE);
  private final InboundBudget budget = new InboundBudget(64L << 20);
  private final Receiver receiver =
      new Receiver(host, TargetHarness.config(false), budget, GuestCapacity.fixed(1L << 30), clock::get);
  private final VirtualMachine vm = TargetHarness.sourceVm(3, 50);
  private final TargetHarness requests;

  ReceiverTest() throws Exception {
    requests = TargetHarness.inProcess(TargetHarness.config(false)); // only to build requests
  }

  @AfterEach
  void close() {
    vm.close();
    host.close();
    requests.close();
  }

  private String begin() throws TargetException {
    return receiver.begin(requests.beginRequest(0).build(), null).getSessionId();
  }

  private List<List<PageBatch>> sendAll(String s) throws TargetException {
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, s);
    for (List<PageBatch> stream : r0) {
      PageStream ps = receiver.openStream();
      for (PageBatch b : stream) ps.apply(b);
      ps.complete();
    }
    return r0;
  }

  @Test
  void statesFollowTheContract() throws Exception {
    assertThat(receiver.state()).isEqualTo(ReceiverState.IDLE);
    String s = begin();
    assertThat(receiver.state()).isEqualTo(ReceiverState.RECEIVING);
    List<List<PageBatch>> r0 = sendAll(s);
    CommitResponse r = receiver.commit(requests.commitRequest(vm, s, TargetHarness.manifest(r0, 0)).build(), () -> false);
    assertThat(r.getResumed()).isTrue();
    assertThat(receiver.state()).isEqualTo(ReceiverState.RESUMED);
    assertThat(budget.reservedBytes()).isZero();
  }

  @Test
  void aHeartbeatSaysHowLongThisJvmHasCompiled() throws Exception {
    String s = begin();
    sendAll(s); // compiles something, at least in C1
    HeartbeatResponse r = receiver.heartbeat(HeartbeatRequest.newBuilder().setSessionId(s).build());
    assertThat(r.hasJitCompileMillis()).as("a HotSpot JVM reports its compile time").isTrue();
    assertThat(r.getJitCompileMillis()).isPositive().isLessThanOrEqualTo(JitClock.compileMillis());
  }

  @Test
  void abortReturnsToIdleAndRefusalsCarryKinds() throws Exception {
    String s = begin();
    assertThat(receiver.abort(AbortRequest.newBuilder().setSessionId(s).setReason("r\n").build())).isTrue();
    assertThat(receiver.state()).isEqualTo(ReceiverState.IDLE);
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
    assertThatThrownBy(() -> receiver.heartbeat(HeartbeatRequest.newBuilder().setSessionId(s).build()))
        .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.kind()).isEqualTo(ReceiveError.UNKNOWN_SESSION));
  }

  @Test
  void aCallerThatGoesAwayStopsTheCommitAndFreesTheNode() throws Exception {
    String s = begin();
    List<List<PageBatch>> r0 = sendAll(s);
    assertThatThrownBy(() -> receiver.commit(requests.commitRequest(vm, s, TargetHarness.manifest(r0, 0)).build(), () -> true))
        .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.kind()).isEqualTo(ReceiveError.CANCELLED));
    assertThat(receiver.state()).isEqualTo(ReceiverState.IDLE);
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
  }

  @Test
  void everyKindMapsToADistinctStatusTheContractNamesNeverUnknownOrInternal() {
    Set<Status.Code> seen = EnumSet.noneOf(Status.Code.class);
    for (ReceiveError k : ReceiveError.values()) {
      Status.Code c = TargetStatuses.of(k).getCode();
      assertThat(c).as(k.name()).isNotIn(Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.OK);
      assertThat(seen.add(c)).as("distinct: " + k).isTrue();
    }
  }

  @Test
  void clientTextIsEscapedAndCapped() {
    assertThat(ClientText.quote("a\nb\u001b\u2028")).isEqualTo("'a\\nb\\u001b\\u2028'");
    assertThat(ClientText.quote("x".repeat(1000))).hasSizeLessThan(ClientText.MAX_CHARS + 40).endsWith("(800 more chars)");
    assertThat(ClientText.isId("host-1/123:m.2@x")).isTrue();
    assertThat(ClientText.isId("a b")).isFalse();
    assertThat(ClientText.isId("x".repeat(129))).isFalse();
  }
}
