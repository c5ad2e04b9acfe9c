package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.testing.Capabilities;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The HW scanner keeps its worker off the CPU its caller scans on ({@link CpuAffinity}): after a
 * two-thread scan the worker's allowed CPUs are the process's minus the caller's, and only that
 * (read back from the kernel); without the scheduler calls nothing is touched. Needs Linux and at
 * least two CPUs for this process.
 */
class ScanWorkerSteeringTest {
  private static final VmSpec SPEC =
      new VmSpec(64L << 20, 0, 1, BackingPageSize.SIZE_4K, "idle", 1, MachineTuning.defaults().withoutCosts());

  private static int count(long[] mask) {
    int n = 0;
    for (long w : mask) n += Long.bitCount(w);
    return n;
  }

  private static boolean has(long[] mask, int cpu) {
    return (mask[cpu >>> 6] & (1L << (cpu & 63))) != 0;
  }

  /** Waits until the scanner's worker has started and recorded its thread id. */
  private static int awaitWorker(HwScanner s) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (s.workerThreadIds().length == 0 && System.nanoTime() < deadline) Thread.sleep(1);
    assertThat(s.workerThreadIds()).as("the worker started").hasSize(1);
    return s.workerThreadIds()[0];
  }

  private static void scanTwice(HwScanner s, SimulatedVm vm) {
    long base = vm.ram().baseGfn();
    long end = base + vm.ram().pageCount();
    long[] out = new long[(int) ((vm.memory().gfnLimit() + 63) >>> 6)];
    for (int i = 0; i < 2; i++) s.scan(base, end, out, 0, false, 2, 512, true);
  }

  @Test
  void theWorkerMayRunAnywhereButOnTheCallersCpu() throws Exception {
    CpuAffinity affinity = CpuAffinity.load();
    Capabilities.assume(affinity.available(), "sched_getcpu/sched_setaffinity through JNA (Linux)");
    long[] process = affinity.allowedCpus(affinity.currentThreadId());
    Capabilities.assume(process != null && count(process) >= 2, "two CPUs for this process");
    try (SimulatedVm vm = SimulatedVms.builder(SPEC).prefaultRam(true).build();
        HwScanner s = new HwScanner(vm.mmu().pageTable(), ScanVariant.Broken.NONE, affinity)) {
      s.ensureThreads(2);
      int worker = awaitWorker(s);
      scanTwice(s, vm);
      int keptOff = s.keptOffCpus()[0];
      assertThat(keptOff).as("a CPU of this process").isBetween(0, 1023);
      assertThat(has(process, keptOff)).isTrue();
      long[] allowed = affinity.allowedCpus(worker);
      assertThat(has(allowed, keptOff)).as("the caller's CPU at the last steering").isFalse();
      for (int c = 0; c < 1024; c++)
        if (c != keptOff) assertThat(has(allowed, c)).as("cpu %d", c).isEqualTo(has(process, c));
    }
  }

  @Test
  void withoutTheCallsTheWorkerIsLeftAlone() throws Exception {
    try (SimulatedVm vm = SimulatedVms.builder(SPEC).prefaultRam(true).build();
        HwScanner s = new HwScanner(vm.mmu().pageTable(), ScanVariant.Broken.NONE, CpuAffinity.none())) {
      s.ensureThreads(2);
      assertThat(s.workerThreadIds()).as("no thread ids without the calls").isEmpty();
      scanTwice(s, vm);
      assertThat(s.keptOffCpus()).isEmpty();
    }
  }
}
