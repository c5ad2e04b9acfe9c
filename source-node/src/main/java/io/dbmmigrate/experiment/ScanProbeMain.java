package io.dbmmigrate.experiment;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.machine.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scan points' benchmark: the cost of one dirty-log sync of a guest of a given size, without a
 * migration, in its own JVM (the sweep runner starts it; {@link ScanBackends}).
 *
 * <ol>
 *   <li>Build the VM (paused; no vCPU thread runs) and pre-fault all of RAM with dirty logging off,
 *       as a running guest's memory is mapped (2 MiB blocks with THP backing).
 *   <li>Enable HW dirty logging (eager split, DBM armed on every PTE).
 *   <li>Per sync: store once into each of the first {@code dirty-percent} of RAM's pages (the
 *       "hardware" sets their write bits), then time {@code DirtyLog.sync}: a scan of every leaf PTE
 *       with {@code scan-threads} threads. Two untimed syncs warm the JIT; the median, minimum and
 *       maximum of the next {@code iterations} are reported.
 *   <li>Switch to SW logging and time {@code iterations} syncs of the same dirty set: O(dirty
 *       pages), the cost the final sync has after an hw→sw switch.
 * </ol>
 *
 * The dirty pages are contiguous, so a 64 GiB guest allocates content only for them (memory is
 * allocated lazily in 2 MiB chunks); the page table itself takes about 8 bytes per 4 KiB page.
 * Output: {@code RESULT sync_ms_median=.. sync_ms_min=.. sync_ms_max=.. ptes_visited=..
 * dirty_pages=.. sw_sync_ms=..}.
 */
@Command(name = "scan-probe", mixinStandardHelpOptions = true, description = "Times HW and SW dirty-log syncs.")
public final class ScanProbeMain implements Callable<Integer> {
  private static final int WARMUP_SYNCS = 2;

  @Option(names = "--ram", required = true, description = "guest RAM (e.g. 64g)")
  String ram;

  @Option(names = "--backing", defaultValue = "4k", description = "4k or 2m")
  String backing;

  @Option(names = "--vcpus", defaultValue = "1")
  int vcpus;

  @Option(names = "--scan-threads", defaultValue = "1")
  int scanThreads;

  @Option(names = "--scan-chunk", defaultValue = "512m")
  String scanChunk;

  @Option(names = "--dirty-percent", defaultValue = "0.1", description = "pages dirtied before each sync, % of RAM")
  double dirtyPercent;

  @Option(names = "--iterations", defaultValue = "5", description = "timed syncs per mode")
  int iterations;

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Override
  public Integer call() {
    long ramBytes = Sizes.parseBytes(ram);
    if (iterations < 1 || scanThreads < 1 || dirtyPercent < 0 || dirtyPercent > 100)
      throw new IllegalArgumentException("iterations and scan threads must be >= 1, dirty percent 0..100");
    VmSpec spec =
        new VmSpec(ramBytes, 0, Math.max(1, vcpus), BackingPageSize.parse(backing), "idle", seed, MachineTuning.defaults());
    try (SimulatedVm vm = SimulatedVms.builder(spec).build()) {
      MemorySlotSpec slot = vm.ram();
      Stage2Mmu mmu = vm.mmu();
      long t0 = System.nanoTime();
      long mapped = mmu.populate(slot.baseGfn(), slot.endGfn());
      long populateMillis = (System.nanoTime() - t0) / 1_000_000;
      DirtyLog log = vm.dirtyLog();
      t0 = System.nanoTime();
      log.enable(DirtyLogMode.HW, new DirtyLogOptions(scanThreads, Sizes.parseBytes(scanChunk), false));
      long enableMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf(Locale.ROOT, "populated %d mappings in %d ms, enabled HW logging in %d ms%n", mapped,
          populateMillis, enableMillis);

      long dirtyPages = Math.round(slot.pageCount() * dirtyPercent / 100.0);
      long[] bitmap = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      VcpuContext ctx = mmu.newContext(0);
      double[] hw = new double[iterations];
      long ptesVisited = 0;
      long found = 0;
      for (int i = -WARMUP_SYNCS; i < iterations; i++) {
        dirty(mmu, ctx, slot.baseGfn(), dirtyPages, i);
        Arrays.fill(bitmap, 0L);
        SyncStats s = log.sync(bitmap);
        if (i >= 0) {
          hw[i] = s.millis();
          ptesVisited = s.ptesVisited();
          found = s.dirtyPages();
        }
      }
      if (found != dirtyPages)
        throw new IllegalStateException("HW sync found " + found + " dirty pages, " + dirtyPages + " were written");

      log.switchToSoftware(bitmap);
      ctx = mmu.newContext(0);
      double[] sw = new double[iterations];
      for (int i = -WARMUP_SYNCS; i < iterations; i++) {
        dirty(mmu, ctx, slot.baseGfn(), dirtyPages, 1_000 + i);
        Arrays.fill(bitmap, 0L);
        SyncStats s = log.sync(bitmap);
        if (i >= 0) sw[i] = s.millis();
      }
      log.disable();
      Arrays.sort(hw);
      Arrays.sort(sw);
      System.out.printf(Locale.ROOT, "RESULT sync_ms_median=%.4f sync_ms_min=%.4f sync_ms_max=%.4f%n", median(hw), hw[0],
          hw[hw.length - 1]);
      System.out.printf(Locale.ROOT, "RESULT ptes_visited=%d dirty_pages=%d sw_sync_ms=%.4f scan_threads=%d%n", ptesVisited,
          found, median(sw), scanThreads);
    }
    return 0;
  }

  /** One store into each of {@code count} pages from {@code baseGfn}; the value changes per round. */
  private static void dirty(Stage2Mmu mmu, VcpuContext ctx, long baseGfn, long count, long round) {
    for (long g = baseGfn; g < baseGfn + count; g++) mmu.store(ctx, g, 0, (v, gfn, seq) -> seq, round);
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new ScanProbeMain());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof IllegalArgumentException) {
            cmd.getErr().println(ex.getMessage());
            return 2;
          }
          throw ex;
        });
    System.exit(cl.execute(args));
  }
}
