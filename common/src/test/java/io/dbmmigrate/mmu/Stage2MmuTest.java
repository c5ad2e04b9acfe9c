package io.dbmmigrate.mmu;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.testing.Threads;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The store path, the fault handlers and the host operations, single-threaded. */
class Stage2MmuTest {
  static final long RAM = 1L << 18;
  final Set<Long> marked = new TreeSet<>();
  final DirtyPageRecorder recorder = (v, gfn) -> marked.add(gfn);
  final StoreValue value = (v, gfn, seq) -> 0x1111_0000L + seq;

  static Stage2Mmu mmu(BackingPageSize backing, boolean ha) {
    ChunkedGuestMemory mem =
        new ChunkedGuestMemory(
            List.of(new MemorySlotSpec(0, "rom", 0, 16, true), new MemorySlotSpec(1, "ram", RAM, 2048, false)));
    return new Stage2Mmu(mem, 2, new MmuTuning(0, 0, 0, ha), backing);
  }

  static int level(Stage2Mmu m, long gfn) {
    return Stage2PageTable.lookupLevel(m.lookup(gfn));
  }

  @Test
  void firstStoreMapsThePageWritableAndLandsInMemory() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    assertThat(m.store(c, RAM + 5, 16, value, 7)).isTrue();
    assertThat(m.memory().readLong(RAM + 5, 16)).isEqualTo(0x1111_0007L);
    long d = m.leafDescriptor(RAM + 5);
    assertThat(Descriptor.isLeaf(d, 3) && Descriptor.isWritable(d) && !Descriptor.hasDbm(d)).isTrue();
    assertThat(m.counters().translationFaults()).isEqualTo(1);
    m.store(c, RAM + 5, 24, value, 8);
    assertThat(m.counters().translationFaults()).as("TLB hit / mapped").isEqualTo(1);
  }

  @Test
  void aStoreThatThrowsClosesItsStoreWindowSoInvalidationsStillComplete() throws Exception {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    StoreValue failing =
        (v, gfn, seq) -> {
          throw new IllegalStateException("store failed");
        };
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.store(c, RAM + 9, 0, failing, 0))
        .hasMessage("store failed");
    // An invalidation waits for every open store window; with the window leaked it never returns.
    java.util.concurrent.CompletableFuture<Void> inv =
        java.util.concurrent.CompletableFuture.runAsync(m::invalidateAll);
    inv.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(m.store(c, RAM + 9, 0, value, 1)).isTrue();
  }

  @Test
  void twoMiBBackingMapsBlocksWhileLoggingIsOff() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_2M, true);
    m.store(m.newContext(0), RAM + 700, 0, value, 0);
    assertThat(level(m, RAM + 700)).isEqualTo(2);
    assertThat(Descriptor.isBlock(m.leafDescriptor(RAM + 513), 2)).isTrue();
    assertThat(m.splitBlockAt(RAM + 600)).isTrue();
    assertThat(level(m, RAM + 700)).isEqualTo(3);
    assertThat(Descriptor.isWritable(m.leafDescriptor(RAM + 1000))).as("split keeps permissions").isTrue();
    assertThat(m.splitBlockAt(RAM + 600)).as("no block left").isFalse();
  }

  @Test
  void withoutHardwareAccessFlagAnOldPageTakesAnAccessFault() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, false);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.mkOld(RAM, RAM + 512);
    assertThat(Descriptor.isYoung(m.leafDescriptor(RAM))).isFalse();
    m.invalidateAll();
    m.store(c, RAM, 0, value, 1);
    assertThat(m.accessFaults()).isEqualTo(1);
    assertThat(Descriptor.isYoung(m.leafDescriptor(RAM))).isTrue();
  }

  @Test
  void hardwareSetsAccessFlagWithHa() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.mkOld(RAM, RAM + 1);
    m.invalidateAll();
    m.store(c, RAM, 0, value, 1);
    assertThat(m.accessFaults()).isZero();
    assertThat(Descriptor.isYoung(m.leafDescriptor(RAM))).isTrue();
  }

  @Test
  void softwareLoggingRecordsBeforeMakingWritable() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM + 1, 0, value, 0);
    m.setTracker(TestTrackers.sw((v, gfn) -> {
      assertThat(Descriptor.isWritable(m.leafDescriptor(gfn))).as("recorded before relax").isFalse();
      marked.add(gfn);
    }));
    m.writeProtect(RAM, RAM + 2048, false);
    m.invalidateAll();
    m.store(c, RAM + 1, 0, value, 1);
    m.store(c, RAM + 2, 0, value, 2); // translation fault during logging: recorded too
    assertThat(marked).containsExactly(RAM + 1, RAM + 2);
    assertThat(m.counters().permissionFaults()).isEqualTo(1);
  }

  /**
   * Regression (found by DirtyLogConcurrentTest, seed 41162): a harvest that takes a page's bit
   * and write-protects it between the fault handler's "record" and "make writable" would leave the
   * page writable with no bit. The handler holds the MMU lock shared across both steps, the harvest
   * takes it exclusively; here the harvest is attempted from inside the handler's record step.
   */
  @Test
  void aHarvestCannotSlipBetweenRecordAndMakeWritable() throws Exception {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    java.util.concurrent.atomic.AtomicReference<Thread> harvester = new java.util.concurrent.atomic.AtomicReference<>();
    m.setTracker(TestTrackers.sw((v, gfn) -> {
      synchronized (marked) {
        marked.add(gfn);
      }
      Thread h = new Thread(() -> {
        m.lockForHarvest();
        try {
          boolean had;
          synchronized (marked) {
            had = marked.remove(gfn);
          }
          if (had) m.writeProtectWord(gfn & ~63L, 1L << (gfn & 63), RAM + 2048, false);
        } finally {
          m.unlockAfterHarvest();
        }
      });
      harvester.set(h);
      h.start();
      try {
        h.join(200); // a harvest that is not excluded finishes here, inside the handler
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }));
    m.writeProtect(RAM, RAM + 1, false);
    m.invalidateAll();
    m.store(c, RAM, 0, value, 1);
    Threads.joinOrFail(harvester.get());
    m.invalidateAll();
    boolean writable = Descriptor.isWritable(m.leafDescriptor(RAM));
    assertThat(writable && !marked.contains(RAM)).as("writable page without a dirty bit").isFalse();
  }

  @Test
  void hardwareDbmSetsTheWriteBitWithoutAFault() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM + 1, 0, value, 0);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.writeProtect(RAM, RAM + 2048, true);
    m.invalidateAll();
    long clean = m.leafDescriptor(RAM + 1);
    assertThat(Descriptor.hasDbm(clean) && !Descriptor.isWritable(clean)).isTrue();
    m.store(c, RAM + 1, 0, value, 1);
    assertThat(Descriptor.isHwDirty(m.leafDescriptor(RAM + 1))).isTrue();
    assertThat(m.counters().hardwareDirtySets()).isEqualTo(1);
    assertThat(m.counters().permissionFaults()).isZero();
    assertThat(m.counters().kicks()).isEqualTo(2);
  }

  @Test
  void aVcpuUsesItsCachedTranslationUntilTheInvalidation() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.setTracker(TestTrackers.sw(recorder));
    m.writeProtect(RAM, RAM + 1, false);
    m.store(c, RAM, 0, value, 1);
    assertThat(marked).as("stale writable TLB entry: no fault yet").isEmpty();
    m.invalidateAll();
    m.store(c, RAM, 0, value, 2);
    assertThat(marked).containsExactly(RAM);
  }

  @Test
  void romStoresAreDroppedAndRomNeverGetsDbmOrWritePermission() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.populate(0, 16);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.writeProtect(0, 16, true);
    m.writeProtectWord(0, 0xFFFF, 16, true);
    m.invalidateAll();
    for (long g = 0; g < 16; g++) assertThat(m.store(c, g, 0, value, g)).isFalse();
    for (long g = 0; g < 16; g++) {
      long d = m.leafDescriptor(g);
      assertThat(Descriptor.isWritable(d) || Descriptor.hasDbm(d)).as(Descriptor.describe(d, 3)).isFalse();
      assertThat(m.memory().readLong(g, 0)).isZero();
    }
    assertThat(m.droppedStores()).isEqualTo(16);
  }

  @Test
  void unmapOfAHardwareDirtyPageSavesItFirstAndRemapsItClean() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    VcpuContext c = m.newContext(0);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.store(c, RAM + 3, 0, value, 0);
    assertThat(Descriptor.isHwDirty(m.leafDescriptor(RAM + 3))).isTrue();
    assertThat(m.unmapAndRemap(RAM + 3)).isTrue();
    assertThat(marked).containsExactly(RAM + 3);
    long d = m.leafDescriptor(RAM + 3);
    assertThat(Descriptor.isValid(d) && Descriptor.hasDbm(d) && !Descriptor.isWritable(d) && !Descriptor.isYoung(d))
        .as(Descriptor.describe(d, 3))
        .isTrue();
    assertThat(m.unmapAndRemap(RAM + 1000)).as("nothing mapped there").isFalse();
  }

  @Test
  void brokenReplacementForgetsTheDirtyState() {
    ChunkedGuestMemory mem = new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", RAM, 512, false)));
    Stage2Mmu m =
        new Stage2Mmu(mem, 1, MmuTuning.free(), BackingPageSize.SIZE_4K,
            BrokenMmus.replaceWithoutSavingDirty());
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.store(m.newContext(0), RAM, 0, value, 0);
    m.unmapAndRemap(RAM);
    assertThat(marked).isEmpty();
  }

  @Test
  void mkOldKeepsAHardwareSetWriteBit() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.store(m.newContext(0), RAM, 0, value, 0);
    assertThat(m.mkOld(RAM, RAM + 512)).isEqualTo(1);
    long d = m.leafDescriptor(RAM);
    assertThat(Descriptor.isHwDirty(d) && !Descriptor.isYoung(d)).isTrue();
  }

  @Test
  void lazySplitHappensOnTheFirstWriteFaultDuringSoftwareLogging() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_2M, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.setTracker(TestTrackers.sw(recorder));
    m.writeProtect(RAM, RAM + 2048, false);
    m.invalidateAll();
    assertThat(Descriptor.isBlock(m.leafDescriptor(RAM), 2)).isTrue();
    m.store(c, RAM + 9, 0, value, 1);
    assertThat(level(m, RAM + 9)).isEqualTo(3);
    assertThat(marked).containsExactly(RAM + 9);
    assertThat(Descriptor.isWritable(m.leafDescriptor(RAM + 9))).isTrue();
    assertThat(Descriptor.isWritable(m.leafDescriptor(RAM + 10))).isFalse();
    assertThat(m.blockSplits()).isEqualTo(1);
  }

  @Test
  void underHardwareLoggingABlockGetsDbmAndAWriteMakesTheWholeBlockHardwareDirty() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_2M, true);
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.writeProtect(RAM, RAM + 2048, true);
    m.invalidateAll();
    long clean = m.leafDescriptor(RAM);
    assertThat(Descriptor.isBlock(clean, 2) && Descriptor.hasDbm(clean) && !Descriptor.isWritable(clean))
        .as(Descriptor.describe(clean, 2))
        .isTrue();
    m.store(c, RAM + 9, 0, value, 1);
    assertThat(level(m, RAM + 9)).as("no fault, no split").isEqualTo(2);
    assertThat(Descriptor.isHwDirty(m.leafDescriptor(RAM + 9))).isTrue();
    assertThat(m.counters().permissionFaults()).isZero();
    // The host splits the hardware-dirty block: every page keeps the dirty state.
    assertThat(m.splitBlockAt(RAM + 9)).isTrue();
    for (long g = RAM; g < RAM + 512; g += 31) {
      assertThat(Descriptor.isHwDirty(m.leafDescriptor(g))).as("page %d", g).isTrue();
    }
  }

  @Test
  void brokenSplitDropsTheDirtyStateOfAHardwareDirtyBlock() {
    ChunkedGuestMemory mem = new ChunkedGuestMemory(List.of(new MemorySlotSpec(1, "ram", RAM, 512, false)));
    Stage2Mmu m =
        new Stage2Mmu(mem, 1, MmuTuning.free(), BackingPageSize.SIZE_2M, BrokenMmus.splitDropsDirty());
    VcpuContext c = m.newContext(0);
    m.store(c, RAM, 0, value, 0);
    m.setTracker(TestTrackers.hw(recorder));
    m.vtcr().set(Vtcr.HD, true);
    m.kickAll();
    m.writeProtect(RAM, RAM + 512, true);
    m.invalidateAll();
    m.store(c, RAM + 9, 0, value, 1);
    m.splitBlockAt(RAM + 9);
    assertThat(Descriptor.isHwDirty(m.leafDescriptor(RAM + 9))).isFalse();
  }

  @Test
  void theFaultHandlersDoWhatTheTrackerSaysAndCallItsRecorderWithTheVcpu() {
    // A tracker the MMU has never heard of (as ring or combined will be): a write fault on a
    // write-protected page records (vcpu, gfn) and relaxes with DBM; a write-mapped page is not
    // recorded and gets no DBM.
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    java.util.List<String> calls = new java.util.ArrayList<>();
    DirtyPageRecorder ring = (v, gfn) -> calls.add(v + ":" + (gfn - RAM));
    m.setTracker(new DirtyTracker() {
      @Override
      public FaultResponse respond(FaultKind kind) {
        switch (kind) {
          case WRITE_PROTECTED:
            return FaultResponse.recordThenSet(ring, Descriptor.S2AP_WRITE | Descriptor.DBM);
          case WRITE_MAP:
            return FaultResponse.set(Descriptor.S2AP_WRITE);
          default:
            return FaultResponse.set(0);
        }
      }

      @Override
      public boolean mapsBlocks() {
        return false;
      }
    });
    VcpuContext c1 = m.newContext(1);
    m.store(c1, RAM + 4, 0, value, 0);
    assertThat(calls).as("write map: no recorder").isEmpty();
    assertThat(Descriptor.hasDbm(m.leafDescriptor(RAM + 4))).isFalse();
    m.populate(RAM + 5, RAM + 6); // clean: PREFAULT answers 0, read-only
    m.store(c1, RAM + 5, 0, value, 1);
    assertThat(calls).containsExactly("1:5");
    long d = m.leafDescriptor(RAM + 5);
    assertThat(Descriptor.isWritable(d) && Descriptor.hasDbm(d)).as(Descriptor.describe(d, 3)).isTrue();
  }

  @Test
  void populateMapsEveryPageCleanForTheCurrentMode() {
    Stage2Mmu m = mmu(BackingPageSize.SIZE_4K, true);
    m.setTracker(TestTrackers.hw(recorder));
    assertThat(m.populate(RAM, RAM + 2048)).isEqualTo(2048);
    for (long g = RAM; g < RAM + 2048; g += 97) {
      long d = m.leafDescriptor(g);
      assertThat(Descriptor.hasDbm(d) && !Descriptor.isWritable(d)).isTrue();
    }
    assertThat(m.memory().pagesAllocated()).as("no content allocated").isZero();
  }
}
