package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/**
 * The dirty-log contract with manual clear (KVM_CLEAR_DIRTY_LOG) in HW mode: each harvest is a
 * get, then a clear of exactly what was got.
 */
class ManualClearDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  DirtyLogOptions options() {
    return super.options().withManualClear(true, false);
  }

  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.HW, options());
  }

  @Override
  SyncStats harvest(DirtyLog log, long[] bitmap) {
    SyncStats got = log.getDirtyLog(bitmap);
    log.clearDirtyLog(bitmap);
    return got;
  }
}
