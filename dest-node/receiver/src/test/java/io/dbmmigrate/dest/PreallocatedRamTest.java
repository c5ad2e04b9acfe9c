package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingFile;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The preallocated memory goes to the first VM of its layout, once; any other VM gets none. */
class PreallocatedRamTest {
  static final List<MemorySlotSpec> LAYOUT =
      List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 1 << 18, 256, false));

  @Test
  void theFirstVmOfTheLayoutTakesItAndNobodyElse() throws Exception {
    try (PreallocatedRam ram = PreallocatedRam.allocate(LAYOUT, BackingFile.defaultDir(), 2)) {
      List<MemorySlotSpec> bigger =
          List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 1 << 18, 512, false));
      assertThat(ram.takeFor(bigger)).as("another layout").isNull();
      assertThat(ram.available()).isTrue();
      ChunkedGuestMemory mem = ram.takeFor(List.copyOf(LAYOUT));
      assertThat(mem).isNotNull();
      assertThat(mem.populated()).as("backed and mapped before it is handed out").isTrue();
      assertThat(mem.slots()).isEqualTo(LAYOUT);
      assertThat(mem.pagesAllocated()).as("fresh: nothing written").isZero();
      assertThat(ram.available()).isFalse();
      assertThat(ram.takeFor(LAYOUT)).as("handed out once").isNull();
      ram.close();
      mem.storeLong(1 << 18, 8, 42L); // close leaves a taken memory to its owner: still mapped
      assertThat(mem.readLong(1 << 18, 8)).isEqualTo(42L);
      mem.close();
    }
  }

  @Test
  void closeReleasesAnUntakenMemoryAndNoneHasNothing() {
    PreallocatedRam ram = PreallocatedRam.allocate(LAYOUT, BackingFile.defaultDir(), 1);
    ram.close();
    assertThat(ram.available()).isFalse();
    assertThat(ram.takeFor(LAYOUT)).isNull();
    assertThat(PreallocatedRam.none().takeFor(LAYOUT)).isNull();
  }
}
