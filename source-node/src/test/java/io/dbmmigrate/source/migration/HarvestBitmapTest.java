package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.machine.VmSpec;
import org.junit.jupiter.api.Test;

class HarvestBitmapTest {
  private final FakeClock clock = new FakeClock();

  @Test
  void setAllPagesCoversEverySlotAndNothingElse() {
    FakeVm vm = new FakeVm(clock, i -> 0);
    HarvestBitmap b = HarvestBitmap.forMemory(vm.memory());
    b.setAllPages(vm.memory());
    assertThat(b.count()).isEqualTo(FakeVm.ROM_PAGES + FakeVm.RAM_PAGES);
    HarvestBitmap.Round r = b.publish();
    assertThat(r.word((int) (VmSpec.RAM_BASE_GFN >>> 6))).isEqualTo(-1L);
    assertThat(r.word(0)).isEqualTo((1L << FakeVm.ROM_PAGES) - 1);
  }

  @Test
  void setRangeHandlesUnalignedEnds() {
    HarvestBitmap b = HarvestBitmap.forGfnLimit(256);
    b.setRange(60, 200);
    assertThat(b.count()).isEqualTo(140);
    HarvestBitmap.Round r = b.publish();
    assertThat(r.word(0)).isEqualTo(0xFL << 60);
    assertThat(r.word(1)).isEqualTo(-1L);
    assertThat(r.word(3)).isEqualTo((1L << 8) - 1);
  }

  @Test
  void aPublishedHarvestRefusesWritersUntilCleared() {
    FakeVm vm = new FakeVm(clock, i -> 5);
    HarvestBitmap b = HarvestBitmap.forGfnLimit(vm.memory().gfnLimit());
    b.setRange(3, 4);
    HarvestBitmap.Round r = b.publish();
    assertThatThrownBy(() -> b.setRange(5, 6)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.sync(vm.dirtyLog())).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(b::publish).isInstanceOf(IllegalStateException.class);
    assertThat(r.isLive()).isTrue();
    b.clear();
    assertThat(r.isLive()).isFalse();
    assertThat(b.count()).isZero();
    b.setRange(5, 6); // FILLING again
    assertThat(b.publish().count()).isEqualTo(1);
  }
}
