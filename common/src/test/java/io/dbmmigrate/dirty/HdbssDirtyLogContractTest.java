package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/** The dirty-log contract bound to HDBSS. */
class HdbssDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.HDBSS, options().withBuffers(64, 64));
  }
}
