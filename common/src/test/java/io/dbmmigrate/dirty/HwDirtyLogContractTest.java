package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/** The dirty-log contract in hardware DBM with the parallel scan. */
class HwDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    vm.stage2DirtyLog().enable(DirtyLogMode.HW, options());
  }
}
