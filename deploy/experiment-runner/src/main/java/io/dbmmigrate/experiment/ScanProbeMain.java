package io.dbmmigrate.experiment;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.SyncStats;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import io.dbmmigrate.util.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scan points' benchmark: the cost of one dirty-log sync of a guest of a given size, without a
 * migration, in its own JVM (the sweep runner starts it; {@link ScanBackends}).
 *
 * <ol>
 *   <li>Build the VM (paused; no vCPU thread runs) and pre-fault all of RAM with dirty logging off,
 *       as a running guest's memory is mapped (2 MiB blocks with THP backing).
 *   <li>Enable dirty logging in {@code --dirty-log} (default hw: eager split, DBM armed on every
 *       PTE; sw, ring, hdbss and combined time their own harvests the same way).
 *   <li>Per sync: a write access ({@code Stage2Mmu.touchForWrite}: translation, hardware dirty
 *       update, no page content) to {@code dirty-percent} of RAM's pages, one at a random offset in
 *       each run of {@code 100 / dirty-percent} pages, so dirty PTEs are in every leaf table; then
 *       time {@code DirtyLog.sync}: a scan of every leaf PTE with {@code scan-threads} threads. Two
 *       untimed syncs warm the JIT; the median, minimum and maximum of the next {@code iterations}
 *       are reported.
 *   <li>Hardware modes (hw, hdbss, combined) only: switch to SW logging and time {@code iterations} syncs of as many dirty pages (write
 *       faults logged in software): O(dirty pages), the cost of the final sync after an hw→sw
 *       switch.
 * </ol>
 *
 * The cost model's charges are zero here ({@code MachineTuning.withoutCosts()}): this measures the
 * mechanism, as {@code deploy/bench.sh scan} (common's ScanBenchmark, a test-scope benchmark with
 * more measurements) does; this class exists so that a sweep can run scan points from the shipped
 * jar with any guest size, backing and thread count. No page content is allocated; the page table
 * takes about 8 bytes per 4 KiB page (128 MiB for 64 GiB).
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

  @Option(names = "--dirty-percent", defaultValue = "1", description = "pages dirtied before each sync, % of RAM")
  double dirtyPercent;

  @Option(names = "--iterations", defaultValue = "5", description = "timed syncs per mode")
  int iterations;

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Option(names = "--dirty-log", defaultValue = "hw",
      description = "mode whose sync is timed: sw, hw, ring, hdbss, combined (X-sw: X); hardware modes then switch to sw")
  String dirtyLog;

  @Override
  public Integer call() {
    long ramBytes = Sizes.parseBytes(ram);
    if (iterations < 1 || scanThreads < 1 || dirtyPercent < 0 || dirtyPercent > 100)
      throw new IllegalArgumentException("iterations and scan threads must be >= 1, dirty percent 0..100");
    VmSpec spec =
        new VmSpec(ramBytes, 0, Math.max(1, vcpus), BackingPageSize.parse(backing), "idle", seed,
            MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm = SimulatedVms.builder(spec).build()) {
      MemorySlotSpec slot = vm.ram();
      Stage2Mmu mmu = vm.mmu();
      long t0 = System.nanoTime();
      long mapped = mmu.populate(slot.baseGfn(), slot.endGfn());
      long populateMillis = (System.nanoTime() - t0) / 1_000_000;
      DirtyLog log = vm.dirtyLog();
      t0 = System.nanoTime();
      DirtyLogMode mode = PerfProbeMain.parseMode(dirtyLog);
      log.enable(mode, new DirtyLogOptions(scanThreads, Sizes.parseBytes(scanChunk), false));
      long enableMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf(Locale.ROOT, "populated %d mappings in %d ms, enabled %s logging in %d ms%n", mapped,
          populateMillis, mode.cliName(), enableMillis);

      long dirtyPages = Math.max(1, Math.round(slot.pageCount() * dirtyPercent / 100.0));
      SplittableRandom random = new SplittableRandom(seed);
      long[] bitmap = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      VcpuContext ctx = mmu.newContext(0);
      double[] hw = new double[iterations];
      long ptesVisited = 0;
      long found = 0;
      for (int i = -WARMUP_SYNCS; i < iterations; i++) {
        dirty(mmu, ctx, slot, dirtyPages, random);
        Arrays.fill(bitmap, 0L);
        SyncStats s = log.sync(bitmap);
        if (i >= 0) {
          hw[i] = s.millis();
          ptesVisited = s.ptesVisited();
          found = s.dirtyPages();
        }
      }
      if (found != dirtyPages)
        throw new IllegalStateException(
            mode.cliName() + " sync found " + found + " dirty pages, " + dirtyPages + " were written");
      Arrays.sort(hw);
      System.out.printf(Locale.ROOT, "RESULT sync_ms_median=%.4f sync_ms_min=%.4f sync_ms_max=%.4f%n", median(hw), hw[0],
          hw[hw.length - 1]);
      System.out.printf(Locale.ROOT, "RESULT ptes_visited=%d dirty_pages=%d scan_threads=%d%n", ptesVisited, found,
          scanThreads);
      if (!mode.hardware()) {
        log.disable();
        return 0;
      }
      long swFound = -1;

      log.switchToSoftware(bitmap);
      ctx = mmu.newContext(0);
      double[] sw = new double[iterations];
      for (int i = -WARMUP_SYNCS; i < iterations; i++) {
        dirty(mmu, ctx, slot, dirtyPages, random);
        Arrays.fill(bitmap, 0L);
        SyncStats s = log.sync(bitmap);
        if (i >= 0) sw[i] = s.millis();
        swFound = s.dirtyPages();
      }
      if (swFound != dirtyPages)
        throw new IllegalStateException("SW sync found " + swFound + " dirty pages, " + dirtyPages + " were written");
      log.disable();
      Arrays.sort(sw);
      System.out.printf(Locale.ROOT, "RESULT sw_sync_ms=%.4f%n", median(sw));
    }
    return 0;
  }

  /** A write access to {@code count} distinct pages, one at a random offset in each stride. */
  private static void dirty(Stage2Mmu mmu, VcpuContext ctx, MemorySlotSpec slot, long count, SplittableRandom random) {
    final long stride = slot.pageCount() / count;
    final long base = slot.baseGfn();
    for (long k = 0; k < count; k++) mmu.touchForWrite(ctx, base + k * stride + random.nextLong(stride));
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public static void main(String[] args) {
    System.exit(CommandLines.execute(new ScanProbeMain(), args));
  }
}
