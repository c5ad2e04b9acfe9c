package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import org.junit.jupiter.api.Test;

/**
 * The guard settles the VM exactly once. FakeVm throws on a second resume, so a guard that undid
 * twice (the bug the three copies of the undo invited) fails these tests.
 */
class SourceVmGuardTest {
  private final FakeClock clock = new FakeClock();

  private static SourceVmGuard started(FakeVm vm) {
    SourceVmGuard g = new SourceVmGuard("m", vm);
    g.ensureRunning();
    g.enableDirtyLog(DirtyLogMode.HW, DirtyLogOptions.defaults());
    g.setThrottlePercent(30);
    return g;
  }

  @Test
  void giveBackUndoesEverythingOnceAndResumesOnlyWhatItPaused() {
    FakeVm vm = new FakeVm(clock, i -> 0);
    SourceVmGuard g = started(vm);
    g.pause();
    assertThat(g.giveBack()).isTrue();
    assertThat(vm.isRunning()).isTrue();
    assertThat(vm.dirtyLog.mode).isEqualTo(DirtyLogMode.OFF);
    assertThat(vm.throttles).endsWith(0);
    assertThat(vm.resumes).isEqualTo(2);
    assertThat(g.giveBack()).isFalse();
    assertThat(g.keepPaused()).isFalse();
    assertThat(vm.resumes).isEqualTo(2);
    assertThat(vm.dirtyLog.disables).isEqualTo(1);
  }

  @Test
  void aVmThatWasNeverPausedIsNotResumed() {
    FakeVm vm = new FakeVm(clock, i -> 0);
    SourceVmGuard g = started(vm);
    assertThat(g.giveBack()).isTrue();
    assertThat(vm.resumes).isEqualTo(1); // ensureRunning only
    assertThat(vm.isRunning()).isTrue();
  }

  @Test
  void handOverAndKeepPausedNeverResume() {
    FakeVm a = new FakeVm(clock, i -> 0);
    SourceVmGuard ga = started(a);
    ga.pause();
    assertThat(ga.handOver()).isTrue();
    assertThat(ga.giveBack()).isFalse();
    assertThat(a.isRunning()).isFalse();
    assertThat(a.dirtyLog.mode).isEqualTo(DirtyLogMode.OFF);
    assertThat(ga.settlement()).isEqualTo(SourceVmGuard.Settlement.HANDED_OVER);

    FakeVm b = new FakeVm(clock, i -> 0);
    SourceVmGuard gb = started(b);
    gb.pause();
    assertThat(gb.keepPaused()).isTrue();
    assertThat(gb.giveBack()).isFalse();
    assertThat(b.isRunning()).isFalse();
    assertThatThrownBy(gb::pause).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aFailingUndoStepDoesNotSkipTheOthers() {
    FakeVm vm = new FakeVm(clock, i -> 0);
    SourceVmGuard g = started(vm);
    g.pause();
    vm.dirtyLog.failDisable = true;
    assertThat(g.giveBack()).isTrue();
    assertThat(vm.isRunning()).isTrue();
    assertThat(vm.throttles).endsWith(0);
  }
}
