package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/** The dirty-log contract in software dirty logging (write-protect + fault). */
class SwDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    log.enable(DirtyLogMode.SW, options());
  }
}
