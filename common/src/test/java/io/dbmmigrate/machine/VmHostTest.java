package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.machine.VmHost.ReplacePolicy;
import org.junit.jupiter.api.Test;

class VmHostTest {
  private static VirtualMachine tinyVm() {
    return SimulatedVms.create(
        new VmSpec(4L << 20, 64L << 10, 1, BackingPageSize.SIZE_4K, "idle", 1, MachineTuning.defaults()));
  }

  @Test
  void aDestinationRefusesASecondReceiveWhileOneRuns() {
    VmHost host = new VmHost(ReplacePolicy.ACCEPT_REPLACE);
    assertThat(host.beginReceive()).isNull();
    assertThat(host.beginReceive()).contains("already in progress");
    host.abortReceive();
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
    assertThat(host.beginReceive()).isNull();
  }

  @Test
  void aNodeThatMigratesOutDoesNotReplaceItsVm() {
    VmHost host = new VmHost();
    assertThatThrownBy(host::beginMigrateOut).hasMessageContaining("hosts no VM");
    assertThat(host.beginReceive()).isNull();
    host.abortReceive();
    assertThat(host.current()).isEmpty();
  }

  @Test
  void byDefaultAHostedRunningVmIsNeitherReplacedNorClosedAndTheRefusalNamesIt() {
    VmHost host = new VmHost();
    VirtualMachine vm = tinyVm();
    try {
      assertThat(host.beginReceive()).isNull();
      host.completeReceive(vm, "the VM received in session s-42");
      vm.resume();

      assertThat(host.beginReceive())
          .contains("the VM received in session s-42")
          .contains("(running)")
          .contains("--accept-replace");
      assertThat(host.state()).isEqualTo(VmHost.State.HOSTING);
      assertThat(host.current()).containsSame(vm);
      assertThat(vm.isRunning()).isTrue();
      host.abortReceive(); // what an Abort after the refusal does: nothing to a hosted VM
      assertThat(host.current()).containsSame(vm);
    } finally {
      host.close();
    }
  }

  @Test
  void withAcceptReplaceTheHostedVmIsClosedAndTheNodeReceives() {
    VmHost host = new VmHost(ReplacePolicy.ACCEPT_REPLACE);
    VirtualMachine vm = tinyVm();
    host.host(vm, "old");
    vm.resume();
    assertThat(host.beginReceive()).isNull();
    assertThat(host.state()).isEqualTo(VmHost.State.RECEIVING);
    assertThat(host.current()).isEmpty();
    assertThat(host.vmLabel()).isEmpty();
    assertThat(vm.isRunning()).isFalse();
    host.close();
  }
}
