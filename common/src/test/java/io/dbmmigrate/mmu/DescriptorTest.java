package io.dbmmigrate.mmu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DescriptorTest {
  @Test
  void bitsSitWhereTheArchitecturePutsThem() {
    assertThat(Descriptor.VALID).isEqualTo(1L);
    assertThat(Descriptor.TABLE_OR_PAGE).isEqualTo(1L << 1);
    assertThat(Descriptor.S2AP_READ).isEqualTo(1L << 6);
    assertThat(Descriptor.S2AP_WRITE).isEqualTo(1L << 7);
    assertThat(Descriptor.AF).isEqualTo(1L << 10);
    assertThat(Descriptor.DBM).isEqualTo(1L << 51);
    assertThat(Descriptor.OA_MASK).isEqualTo(0x0000_FFFF_FFFF_F000L);
  }

  @Test
  void pageBlockAndTableAreTellApartPerLevel() {
    long page = Descriptor.page(0x12345, 0);
    long block = Descriptor.block(0x200, Descriptor.S2AP_WRITE);
    long table = Descriptor.table(7);
    assertThat(Descriptor.isLeaf(page, 3)).isTrue();
    assertThat(Descriptor.isTable(page, 3)).isFalse();
    assertThat(Descriptor.isBlock(block, 2)).isTrue();
    assertThat(Descriptor.isLeaf(block, 2)).isTrue();
    assertThat(Descriptor.isLeaf(block, 3)).as("bit 1 clear is reserved at level 3").isFalse();
    assertThat(Descriptor.isTable(table, 2)).isTrue();
    assertThat(Descriptor.isLeaf(table, 2)).isFalse();
    assertThat(Descriptor.outputFrame(page)).isEqualTo(0x12345);
    assertThat(Descriptor.outputFrame(table)).isEqualTo(7);
    assertThat(Descriptor.isYoung(page)).isTrue();
    assertThat(Descriptor.isValid(0)).isFalse();
  }

  @Test
  void hardwareDirtyMeansDbmAndWritable() {
    long clean = Descriptor.page(1, Descriptor.DBM);
    long dirty = clean | Descriptor.S2AP_WRITE;
    long writableNoDbm = Descriptor.page(1, Descriptor.S2AP_WRITE);
    assertThat(Descriptor.isHwDirty(clean)).isFalse();
    assertThat(Descriptor.isHwDirty(dirty)).isTrue();
    assertThat(Descriptor.isHwDirty(writableNoDbm)).isFalse();
    assertThat(Descriptor.isHwDirty(dirty & ~Descriptor.VALID)).isFalse();
    assertThat(Descriptor.describe(dirty, 3)).contains("RW").contains("DBM");
  }
}
