package io.dbmmigrate.bench;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.SimulatedVm;
import io.dbmmigrate.machine.SimulatedVms;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.mmu.Stage2Mmu;
import io.dbmmigrate.mmu.VcpuContext;
import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.vcpu.StorePattern;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory line of {@code deploy/bench.sh scan}: a guest (default 64 GiB) with every PTE
 * established and 1 GiB written with real guest stores, spread over the whole guest, in whatever
 * heap the JVM was given (bench.sh: {@code -Xmx512m}). Prints the process's peak resident set
 * (VmHWM from /proc/self/status: heap, page tables, JVM and the written guest pages together),
 * the maximum heap and the peak heap used (sum of the heap pools' peaks):
 *
 * <pre>RESULT rss_mib_64g=... / RESULT heap_max_mib_64g=... / RESULT heap_peak_used_mib_64g=...</pre>
 *
 * Usage: {@code MemoryProbe [RAM] [WRITTEN]} (defaults 64g 1g). Linux only (reads /proc).
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  public static void main(String[] args) throws IOException {
    long ram = args.length > 0 ? ByteSize.parse(args[0]) : 64L << 30;
    long written = args.length > 1 ? ByteSize.parse(args[1]) : 1L << 30;
    VmSpec spec =
        new VmSpec(ram, 2L << 20, 1, BackingPageSize.SIZE_4K, "idle", 1, MachineTuning.defaults().withoutCosts());
    try (SimulatedVm vm = SimulatedVms.builder(spec).build()) {
      MemorySlotSpec r = vm.ram();
      Stage2Mmu mmu = vm.mmu();
      long mapped = mmu.populate(r.baseGfn(), r.endGfn());
      VcpuContext cpu = mmu.newContext(0);
      long pages = Math.min(r.pageCount(), written >>> 12);
      long stride = r.pageCount() / pages;
      StorePattern p = StorePattern.standard();
      for (long k = 0; k < pages; k++) mmu.store(cpu, r.baseGfn() + k * stride, 0, p, k);
      long peakHeap = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
        if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) peakHeap += pool.getPeakUsage().getUsed();
      long hwmKib = statusKib("VmHWM:");
      System.out.printf(Locale.ROOT,
          "memory probe: %d GiB guest, %d PTEs established, %d pages written (guest pages resident %d MiB), "
              + "PT arena %d MiB; peak RSS %d MiB, heap max %d MiB, heap peak used %d MiB%n",
          ram >> 30, mapped, pages, vm.memory().residentBytes() >> 20, mmu.pageTable().arenaBytes() >> 20,
          hwmKib >> 10, Runtime.getRuntime().maxMemory() >> 20, peakHeap >> 20);
      String tag = (ram >> 30) + "g";
      System.out.printf(Locale.ROOT, "RESULT rss_mib_%s=%d%n", tag, hwmKib >> 10);
      System.out.printf(Locale.ROOT, "RESULT heap_max_mib_%s=%d%n", tag, Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf(Locale.ROOT, "RESULT heap_peak_used_mib_%s=%d%n", tag, peakHeap >> 20);
    }
  }

  private static long statusKib(String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status")))
      if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    throw new IllegalStateException("no " + key + " in /proc/self/status");
  }
}
