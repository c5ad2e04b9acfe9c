package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/** The dirty-log contract bound to COMBINED. */
class CombinedDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.COMBINED, options().withBuffers(64, 64));
  }
}
