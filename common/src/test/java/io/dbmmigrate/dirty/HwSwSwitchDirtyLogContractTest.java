package io.dbmmigrate.dirty;

import io.dbmmigrate.machine.SimulatedVm;

/**
 * The dirty-log contract after the switch hw → sw: enabled in HW mode, a page dirtied by the
 * "hardware", then the switch (whose harvest reports it); from then on the log is in SW mode.
 */
class HwSwSwitchDirtyLogContractTest extends DirtyLogContractTest {
  @Override
  void enable(SimulatedVm vm) {
    vm.dirtyLog().enable(DirtyLogMode.HW, options());
    store(100);
    long[] bm = bitmap();
    vm.dirtyLog().switchToSoftware(bm);
    org.assertj.core.api.Assertions.assertThat(bm[(int) ((ram + 100) >>> 6)] >>> ((ram + 100) & 63) & 1)
        .as("the switch harvests what the hardware marked")
        .isEqualTo(1L);
    org.assertj.core.api.Assertions.assertThat(vm.dirtyLog().mode()).isEqualTo(DirtyLogMode.SW);
  }
}
