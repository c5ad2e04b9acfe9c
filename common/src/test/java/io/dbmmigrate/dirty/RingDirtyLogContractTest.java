package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/** The dirty-log contract bound to RING. */
class RingDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.RING, options().withBuffers(64, 64));
  }
}
