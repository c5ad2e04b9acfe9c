package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.SimulatedVm;

/**
 * The dirty-log contract with manual clear and "initially all set" (KVM_DIRTY_LOG_INITIALLY_SET)
 * in SW mode: round 0 gets every page and clears it (which write-protects it); from then on the
 * contract holds as for every mode.
 */
class InitiallyAllSetDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  DirtyLogOptions options() {
    return super.options().withManualClear(true, true);
  }

  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.SW, options());
    long[] all = bitmap();
    SyncStats got = vm.dirtyLog().getDirtyLog(all);
    assertThat(got.dirtyPages()).as("every page starts dirty").isEqualTo(vm.ram().pageCount());
    vm.dirtyLog().clearDirtyLog(all);
  }

  @Override
  SyncStats harvest(DirtyLog log, long[] bitmap) {
    SyncStats got = log.getDirtyLog(bitmap);
    log.clearDirtyLog(bitmap);
    return got;
  }
}
