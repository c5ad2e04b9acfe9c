package io.dbmmigrate.experiment;

import io.dbmmigrate.dirty.BrokenTrackers;
import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.dirty.ScanVariant;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.util.CommandLines;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The perf points' program: KVM's {@code dirty_log_perf_test} on the simulated machine, one
 * dirty-log mode per run, in its own JVM (the sweep runner starts it; {@link PerfBackend}).
 *
 * <p>As the selftest: {@code vcpus} vCPUs each own {@code vcpu-memory} bytes of guest RAM. Iteration
 * 0 (populate) writes every page with dirty logging off, so the stage-2 tables are built by
 * translation faults (2 MiB blocks with {@code --backing 2m}). Then dirty logging is enabled (timed),
 * and each of {@code iterations} iterations is: every vCPU writes {@code write-percent} % of its
 * pages (each page written with that probability, as the selftest's {@code -w}; the other pages
 * are not touched: a read costs nothing here), timed until the last vCPU is done (the guest's
 * dirty-memory time, including the guest time the cost model charges for faults and exits); then
 * get-dirty-log and clear-dirty-log, timed. In {@code sw} and {@code hw} these are KVM_GET_DIRTY_LOG
 * and KVM_CLEAR_DIRTY_LOG with manual protect ({@link DirtyLog#getDirtyLog}, {@link
 * DirtyLog#clearDirtyLog}); {@code ring}, {@code hdbss} and {@code combined} have one harvest that
 * collects and re-protects ({@link DirtyLog#sync}: reap and reset, drain and re-arm, scan the armed
 * neighbourhoods), timed as get-dirty-log, with clear-dirty-log reported as absent.
 *
 * <p>Unlike the selftest, every run is also checked: an oracle hashes every page when logging
 * starts (round 0 of a migration) and every reported page after each harvest; after the last
 * iteration the VM is paused (the device quiesced) and harvested once more, and a page whose content
 * differs from its last hash was written and never reported: a lost page. {@code
 * --device-write-rate} adds a simulated DMA device writing RAM beside the vCPUs; {@code --variant
 * forgets-device-bitmap} runs the deliberately broken log that does not merge the device bitmap
 * (from common's test jar: the migration nodes cannot name it), whose loss the oracle shows.
 *
 * <p>The cost model's default charges are on (a fault costs the vCPU guest time), as the selftest
 * measures a guest that pays its faults. Output: the selftest's lines, then {@code RESULT} lines.
 */
@Command(name = "perf-probe", mixinStandardHelpOptions = true,
    description = "dirty_log_perf_test on the simulated machine, with a lost-page oracle.")
public final class PerfProbeMain implements Callable<Integer> {
  @Option(names = "--dirty-log", defaultValue = "hw", description = "sw, hw, ring, hdbss or combined")
  String dirtyLog;

  @Option(names = {"-v", "--vcpus"}, defaultValue = "2")
  int vcpus;

  @Option(names = {"-b", "--vcpu-memory"}, defaultValue = "64m", description = "guest memory per vCPU")
  String vcpuMemory;

  @Option(names = {"-i", "--iterations"}, defaultValue = "4", description = "dirty-memory iterations")
  int iterations;

  @Option(names = {"-w", "--write-percent"}, defaultValue = "100", description = "share of pages written per iteration")
  double writePercent;

  @Option(names = {"-s", "--backing"}, defaultValue = "4k", description = "4k or 2m")
  String backing;

  @Option(names = "--scan-threads", defaultValue = "1")
  int scanThreads;

  @Option(names = "--scan-chunk", defaultValue = "512m")
  String scanChunk;

  @Option(names = "--device-write-rate", defaultValue = "0", description = "MB/s written by a simulated DMA device")
  double deviceWriteRate;

  @Option(names = "--variant", defaultValue = "correct", description = "correct or forgets-device-bitmap")
  String variant;

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Override
  public Integer call() throws InterruptedException {
    PerfSummary s = measure(System.out);
    for (String line : s.resultLines()) System.out.println(line);
    return 0;
  }

  /** One run; the selftest's lines go to {@code out}. */
  PerfSummary measure(PrintStream out) throws InterruptedException {
    DirtyLogMode mode = parseMode(dirtyLog);
    long perVcpuPages = Sizes.parseBytes(vcpuMemory) / GuestMemory.PAGE_SIZE;
    if (vcpus < 1 || perVcpuPages < 1 || iterations < 1 || writePercent < 0 || writePercent > 100 || scanThreads < 1)
      throw new IllegalArgumentException("vcpus, vcpu memory, iterations, scan threads >= 1; write percent 0..100");
    long ramBytes = perVcpuPages * GuestMemory.PAGE_SIZE * vcpus;
    VmSpec spec = new VmSpec(ramBytes, 0, vcpus, BackingPageSize.parse(backing), "idle", seed, MachineTuning.defaults());
    SimulatedVms.Builder builder = SimulatedVms.builder(spec).scanVariant(variant(variant));
    if (deviceWriteRate > 0) builder.deviceWriteRate(deviceWriteRate);
    try (SimulatedVm vm = builder.build()) {
      MemorySlotSpec ram = vm.ram();
      DirtyLog log = vm.dirtyLog();
      boolean manual = mode == DirtyLogMode.SW || mode == DirtyLogMode.HW;
      PerfVcpus guest = new PerfVcpus(vm.mmu(), ram.baseGfn(), perVcpuPages, vcpus, writePercent, seed);
      PageOracle oracle = new PageOracle(vm.memory(), ram);
      long[] bitmap = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
      vm.resume(); // the (idle) vCPU threads, the host-MM events and the device run from here

      // Iteration 0: populate with logging off (every page written, tables built by faults).
      long populate = guest.pass(0, 100);
      long t0 = System.nanoTime();
      log.enable(mode, new DirtyLogOptions(scanThreads, Sizes.parseBytes(scanChunk), false, manual));
      long enable = System.nanoTime() - t0;
      oracle.recordAll(); // round 0: every page sent once
      print(out, "Populate memory time: %s", populate);
      print(out, "Enabling dirty logging time: %s", enable);

      long[] dirtyMemory = new long[iterations];
      long[] getLog = new long[iterations];
      long[] clearLog = new long[iterations];
      long[] harvested = new long[iterations];
      for (int it = 1; it <= iterations; it++) {
        dirtyMemory[it - 1] = guest.pass(it, writePercent);
        print(out, "Iteration " + it + " dirty memory time: %s", dirtyMemory[it - 1]);
        long[] getClear = harvest(log, manual, bitmap);
        getLog[it - 1] = getClear[0];
        clearLog[it - 1] = getClear[1];
        harvested[it - 1] = oracle.record(bitmap);
        print(out, "Iteration " + it + " get dirty log time: %s", getLog[it - 1]);
        if (manual) print(out, "Iteration " + it + " clear dirty log time: %s", clearLog[it - 1]);
      }
      vm.pause(); // the device is quiesced: nothing lands after this
      harvest(log, manual, bitmap);
      oracle.record(bitmap);
      long lost = oracle.lostPages();
      t0 = System.nanoTime();
      log.disable();
      long disable = System.nanoTime() - t0;
      print(out, "Get dirty log over " + iterations + " iterations took %s", sum(getLog));
      if (manual) print(out, "Clear dirty log over " + iterations + " iterations took %s", sum(clearLog));
      print(out, "Disabling dirty logging time: %s", disable);
      out.printf(Locale.ROOT, "lost pages: %d of %d (device wrote %d pages)%n", lost, ram.pageCount(),
          vm.deviceWrites());

      return PerfSummary.of(
          populate, enable, dirtyMemory, getLog, manual ? clearLog : null, harvested, lost, vm.deviceWrites());
    }
  }

  /** One harvest: {get, clear} nanoseconds (clear -1 when the mode has no separate clear). */
  private static long[] harvest(DirtyLog log, boolean manual, long[] bitmap) {
    Arrays.fill(bitmap, 0L);
    long t0 = System.nanoTime();
    if (!manual) {
      log.sync(bitmap);
      return new long[] {System.nanoTime() - t0, -1};
    }
    log.getDirtyLog(bitmap);
    long t1 = System.nanoTime();
    log.clearDirtyLog(bitmap);
    return new long[] {t1 - t0, System.nanoTime() - t1};
  }

  /** A mode name; a {@code -sw} suffix (a migration's switch) names its hardware mode. */
  static DirtyLogMode parseMode(String s) {
    String m = s.trim().toLowerCase(Locale.ROOT);
    if (m.endsWith("-sw")) m = m.substring(0, m.length() - 3);
    DirtyLogMode mode = DirtyLogMode.valueOf(m.toUpperCase(Locale.ROOT));
    if (mode == DirtyLogMode.OFF) throw new IllegalArgumentException("--dirty-log off measures nothing");
    return mode;
  }

  static ScanVariant variant(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "correct" -> ScanVariant.CORRECT;
      case "forgets-device-bitmap" -> BrokenTrackers.forgetsDeviceBitmap();
      default -> throw new IllegalArgumentException("--variant must be correct or forgets-device-bitmap, not " + s);
    };
  }

  private static long sum(long[] v) {
    long s = 0;
    for (long x : v) s += x;
    return s;
  }

  /** The selftest's format: seconds and nanoseconds. */
  private static void print(PrintStream out, String format, long nanos) {
    out.println(String.format(Locale.ROOT, format,
        String.format(Locale.ROOT, "%d.%09ds", nanos / 1_000_000_000L, nanos % 1_000_000_000L)));
  }

  public static void main(String[] args) {
    System.exit(CommandLines.execute(new PerfProbeMain(), args));
  }
}
