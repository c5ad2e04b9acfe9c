package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.dirty.BrokenTrackers;
import io.dbmmigrate.dirty.ScanVariant;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.report.MigrationReport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Writes that bypass stage 2, end to end: a real simulated VM with a DMA device migrates through
 * the real controller into an in-memory destination that verifies with the real digester. Every
 * mode must arrive with matching digests; a log that forgets the device bitmap (reachable from
 * tests only) must not.
 */
class DeviceWritesMigrationTest {
  private static final double DEVICE_MBPS = 200;

  private static MigrationReport migrate(DirtyLogStrategy mode, ScanVariant variant) {
    FakeClock clock = new FakeClock();
    FakeTarget target = new FakeTarget(clock);
    VmSpec spec =
        new VmSpec(32L << 20, 64 << 10, 2, BackingPageSize.SIZE_4K, "random:rate=20", 7,
            MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm =
        SimulatedVms.builder(spec).prefaultRam(true).deviceWriteRate(DEVICE_MBPS).scanVariant(variant).build()) {
      vm.resume();
      MigrationSettings s =
          new MigrationSettings(
              mode, SwitchPolicy.parse("threshold:1000000"), 1, 5, NoConvergenceAction.FORCE, 1,
              1 << 20, false, 0, 2, 512L << 20, false, -1, 0, 0, 1000, 1000);
      MigrationResult res =
          new PreCopyController(
                  "m-dma", vm, target, s, MigrationListener.NONE, new MemoryDigester(1), clock,
                  FaultCostMeter.UNKNOWN, "random")
              .run();
      assertThat(vm.deviceWrites()).as("the device wrote").isPositive();
      return res.report();
    }
  }

  @ParameterizedTest
  @EnumSource(DirtyLogStrategy.class)
  void everyModeMigratesDeviceWrittenPages(DirtyLogStrategy mode) {
    MigrationReport r = migrate(mode, ScanVariant.CORRECT);
    assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
    assertThat(r.match()).as("%s: digests", mode).isTrue();
  }

  @ParameterizedTest
  @EnumSource(value = DirtyLogStrategy.class, names = {"HW", "RING", "HDBSS", "COMBINED"})
  void aLogThatForgetsTheDeviceBitmapFailsTheDigest(DirtyLogStrategy mode) {
    MigrationReport r = migrate(mode, BrokenTrackers.forgetsDeviceBitmap());
    assertThat(r.match()).as("%s without the device bitmap: digests must differ", mode).isFalse();
  }
}
