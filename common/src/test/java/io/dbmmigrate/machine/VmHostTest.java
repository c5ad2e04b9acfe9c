package io.dbmmigrate.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VmHostTest {
  @Test
  void aDestinationRefusesASecondReceiveWhileOneRuns() {
    VmHost host = new VmHost(true);
    assertThat(host.beginReceive()).isNull();
    assertThat(host.beginReceive()).contains("already in progress");
    host.abortReceive();
    assertThat(host.state()).isEqualTo(VmHost.State.EMPTY);
    assertThat(host.beginReceive()).isNull();
  }

  @Test
  void aNodeThatMigratesOutDoesNotReplaceItsVm() {
    VmHost host = new VmHost(false);
    assertThatThrownBy(host::beginMigrateOut).hasMessageContaining("hosts no VM");
    assertThat(host.beginReceive()).isNull();
    host.abortReceive();
    assertThat(host.current()).isEmpty();
  }
}
