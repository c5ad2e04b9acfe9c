package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.BrokenMmus;
import io.dbmmigrate.mmu.Descriptor;
import io.dbmmigrate.mmu.MmuVariant;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.StoreValue;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A store to ROM is dropped, ROM keeps its content and its PTEs never become writable or get DBM,
 * through every fault path a store can take (translation fault on a never-mapped page,
 * permission fault on a mapped one, access-flag fault without HA), in every dirty-log mode. The
 * translation-fault path in HW mode is the one the broken variant {@link
 * BrokenMmus#romDbmOnTranslationFault} gets wrong.
 */
class RomThroughEveryFaultPathTest {
  static final StoreValue VALUE = (v, gfn, seq) -> 0x5A5A_5A5AL;

  enum Mode {
    OFF, SW, HW, HW_THEN_SW, MANUAL_SW, MANUAL_HW_INITIALLY_SET
  }

  enum Path {
    /** ROM never mapped: the store's walk finds nothing. */
    TRANSLATION,
    /** ROM mapped (read-only) before the store. */
    PERMISSION,
    /** ROM mapped, then made old, with hardware AF updates off. */
    ACCESS
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Mode.class)
  void romSurvivesEveryFaultPath(Mode mode) {
    for (Path path : Path.values()) {
      assertThat(violation(MmuVariant.CORRECT, mode, path)).as("%s via %s", mode, path).isNull();
    }
  }

  @Test
  void romGettingDbmThroughTheTranslationFaultPathIsCaught() {
    assertThat(violation(BrokenMmus.romDbmOnTranslationFault(), Mode.HW, Path.TRANSLATION))
        .as("the broken variant must be caught")
        .isNotNull();
  }

  /** Runs one store to every ROM page; returns what went wrong, or null. */
  static String violation(MmuVariant variant, Mode mode, Path path) {
    MachineTuning t = MachineTuning.defaults().withoutCosts().withHardwareAccessFlag(path != Path.ACCESS);
    VmSpec spec = new VmSpec(4L << 20, 64 << 10, 1, BackingPageSize.SIZE_4K, "idle", 9, t);
    try (SimulatedVm vm = SimulatedVms.builder(spec).mmuVariant(variant).build()) {
      Stage2Mmu mmu = vm.mmu();
      MemorySlotSpec rom = spec.slots().get(0);
      if (!rom.readOnly()) throw new IllegalStateException("slot 0 is not the ROM");
      if (path != Path.TRANSLATION) mmu.populate(rom.baseGfn(), rom.endGfn());
      if (path == Path.ACCESS) mmu.mkOld(rom.baseGfn(), rom.endGfn());
      Stage2DirtyLog log = vm.stage2DirtyLog();
      long[] bm = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      switch (mode) {
        case OFF:
          break;
        case SW:
          log.enable(DirtyLogMode.SW, new DirtyLogOptions(1, 2L << 20, false));
          break;
        case HW:
          log.enable(DirtyLogMode.HW, new DirtyLogOptions(2, 2L << 20, false));
          break;
        case HW_THEN_SW:
          log.enable(DirtyLogMode.HW, new DirtyLogOptions(2, 2L << 20, false));
          log.switchToSoftware(bm);
          break;
        case MANUAL_SW:
          log.enable(DirtyLogMode.SW, new DirtyLogOptions(1, 2L << 20, false, true));
          break;
        case MANUAL_HW_INITIALLY_SET:
          log.enable(DirtyLogMode.HW, new DirtyLogOptions(2, 2L << 20, true, true));
          log.getDirtyLog(bm);
          log.clearDirtyLog(bm);
          break;
        default:
          throw new IllegalArgumentException(mode.name());
      }
      VcpuContext cpu = mmu.newContext(0);
      byte[] expect = new byte[GuestMemory.PAGE_SIZE];
      byte[] actual = new byte[GuestMemory.PAGE_SIZE];
      for (long g = rom.baseGfn(); g < rom.endGfn(); g++) {
        if (mmu.store(cpu, g, 8, VALUE, 0)) return "store to ROM page " + g + " succeeded";
        long d = mmu.leafDescriptor(g);
        if (Descriptor.isWritable(d) || Descriptor.hasDbm(d))
          return "ROM page " + g + " mapped " + Descriptor.describe(d, 3);
        SimulatedVm.romPage(spec.seed(), g, expect);
        vm.memory().readPage(g, actual, 0);
        if (!Arrays.equals(expect, actual)) return "ROM page " + g + " changed";
      }
      if (mode != Mode.OFF) {
        Arrays.fill(bm, 0);
        log.sync(bm);
        for (long g = rom.baseGfn(); g < rom.endGfn(); g++)
          if ((bm[(int) (g >>> 6)] >>> (g & 63) & 1) != 0) return "ROM page " + g + " reported dirty";
      }
      return null;
    }
  }
}
