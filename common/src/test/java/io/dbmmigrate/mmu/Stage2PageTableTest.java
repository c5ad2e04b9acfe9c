package io.dbmmigrate.mmu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Stage2PageTableTest {
  private static final long RAM_BASE = 1L << 18; // gfn of 1 GiB
  private final Stage2PageTable pt =
      Stage2PageTable.forSlots(
          List.of(new MemorySlotSpec(0, "rom", 0, 16, true), new MemorySlotSpec(1, "ram", RAM_BASE, 4096, false)));

  @Test
  void arenaIsSizedForTheWorstCaseAndStartsAtLevelOne() {
    assertThat(pt.startLevel()).isEqualTo(1);
    // root + 2 level-2 tables (rom's and ram's GiB) + 1 + 8 leaf tables
    assertThat(pt.capacityTables()).isEqualTo(1 + 2 + 1 + 8);
    assertThat(pt.tablesInUse()).isEqualTo(1);
    assertThat(Stage2PageTable.forSlots(List.of(new MemorySlotSpec(1, "ram", 1L << 27, 512, false))).startLevel())
        .as("beyond 512 GiB of IPA the walk starts at level 0")
        .isEqualTo(0);
  }

  @Test
  void updateBlockLeavesATableDescriptorAloneWhereUpdateWouldWriteIntoIt() {
    int l2 = pt.ensureLevel2Entry(RAM_BASE);
    pt.compareAndSet(l2, 0L, Descriptor.block(RAM_BASE, Descriptor.S2AP_WRITE));
    assertThat(pt.splitBlock(l2, 0, 0)).isTrue(); // the split a block visitor races with
    long table = pt.get(l2);
    pt.updateBlock(l2, Descriptor.VALID, Descriptor.DBM, Descriptor.S2AP_WRITE);
    assertThat(pt.get(l2)).as("updateBlock").isEqualTo(table);
    pt.update(l2, Descriptor.VALID, Descriptor.DBM, Descriptor.S2AP_WRITE);
    assertThat(pt.get(l2)).as("require = VALID matches a table descriptor").isNotEqualTo(table);
  }

  @Test
  void ensureLeafTableAllocatesTheLevelsOnceAndLookupWalksThem() {
    long gfn = RAM_BASE + 700;
    int base = pt.ensureLeafTable(gfn);
    assertThat(pt.ensureLeafTable(gfn + 1)).isEqualTo(base);
    assertThat(pt.tablesInUse()).isEqualTo(3);
    long packed = pt.lookup(gfn);
    assertThat(Stage2PageTable.lookupLevel(packed)).isEqualTo(3);
    assertThat(Stage2PageTable.lookupIndex(packed)).isEqualTo(base + (int) (gfn & 511));
    long unmapped = pt.lookup(RAM_BASE + 3000);
    assertThat(Stage2PageTable.lookupLevel(unmapped)).as("stops at the invalid level-2 entry").isEqualTo(2);
  }

  @Test
  void walkHandsOutEveryFrameOfTheRangeOnceWithTheRightGfn() {
    for (long g = RAM_BASE; g < RAM_BASE + 4096; g += 512) pt.ensureLeafTable(g);
    List<long[]> runs = new ArrayList<>();
    pt.walk(RAM_BASE + 300, RAM_BASE + 1100, new Stage2Visitor() {
      @Override
      public void visitLeafTable(Stage2PageTable t, int base, int from, int to, long firstGfn) {
        runs.add(new long[] {from, to, firstGfn});
      }
    });
    assertThat(runs).hasSize(3);
    assertThat(runs.get(0)).containsExactly(300, 512, RAM_BASE + 300);
    assertThat(runs.get(1)).containsExactly(0, 512, RAM_BASE + 512);
    assertThat(runs.get(2)).containsExactly(0, 76, RAM_BASE + 1024);
  }

  @Test
  void walkReportsNonTableEntriesAndDescendsIntoTablesAVisitorInstalls() {
    List<Long> seen = new ArrayList<>();
    pt.walk(RAM_BASE, RAM_BASE + 1024, new Stage2Visitor() {
      @Override
      public void visitLeafTable(Stage2PageTable t, int base, int from, int to, long firstGfn) {
        seen.add(firstGfn);
      }

      @Override
      public boolean visitEntry(Stage2PageTable t, int level, int index, long gfn, long desc) {
        if (level == 2) t.installTable(index, desc, null);
        else t.installTable(index, desc, null);
        return true;
      }
    });
    assertThat(seen).containsExactly(RAM_BASE, RAM_BASE + 512);
  }

  @Test
  void splitBlockKeepsFramesAndAttributesAndAppliesMasks() {
    int l2 = pt.ensureLevel2Entry(RAM_BASE);
    long block = Descriptor.block(RAM_BASE, Descriptor.S2AP_WRITE);
    assertThat(pt.compareAndSet(l2, 0, block)).isTrue();
    assertThat(pt.splitBlock(l2, Descriptor.S2AP_WRITE, Descriptor.DBM)).isTrue();
    for (int i = 0; i < 512; i++) {
      long d = pt.get(pt.ensureLeafTable(RAM_BASE) + i);
      assertThat(Descriptor.isLeaf(d, 3)).isTrue();
      assertThat(Descriptor.outputFrame(d)).isEqualTo(RAM_BASE + i);
      assertThat(Descriptor.isWritable(d)).isFalse();
      assertThat(Descriptor.hasDbm(d)).isTrue();
      assertThat(Descriptor.isYoung(d)).isTrue();
    }
    assertThat(pt.splitBlock(l2, 0, 0)).as("already a table").isTrue();
  }

  @Test
  void updateIsOneCasPathWithARequiredMask() {
    int index = pt.ensureLeafTable(RAM_BASE);
    long d = Descriptor.page(RAM_BASE, Descriptor.DBM);
    pt.compareAndSet(index, 0, d);
    long old = pt.update(index, Descriptor.VALID | Descriptor.S2AP_WRITE, Descriptor.DBM, 0);
    assertThat(old).as("predicate fails: nothing changes").isEqualTo(d);
    assertThat(pt.get(index)).isEqualTo(d);
    pt.update(index, Descriptor.VALID | Descriptor.DBM, 0, Descriptor.S2AP_WRITE);
    assertThat(Descriptor.isHwDirty(pt.get(index))).isTrue();
  }

  @Test
  void findFirstWithBitsStopsAtTheFirstMatch() {
    int base = pt.ensureLeafTable(RAM_BASE);
    pt.compareAndSet(base + 5, 0, Descriptor.page(RAM_BASE + 5, Descriptor.DBM));
    pt.compareAndSet(base + 9, 0, Descriptor.page(RAM_BASE + 9, Descriptor.DBM | Descriptor.S2AP_WRITE));
    assertThat(pt.findFirstWithBits(base, base + 512, Descriptor.HW_DIRTY_BITS)).isEqualTo(base + 9);
    assertThat(pt.findFirstWithBits(base + 10, base + 512, Descriptor.HW_DIRTY_BITS)).isEqualTo(base + 512);
  }

  @Test
  void outOfRangeWalkIsRejected() {
    assertThatThrownBy(() -> pt.walk(RAM_BASE, RAM_BASE + (1L << 30), (t, b, f, to, g) -> {}))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
