package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.BackingPageSize;
import io.dbmmigrate.machine.SplitPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * dirty_log_test in Java: vCPUs store generation numbers while syncs run and host-MM events race;
 * after every sync every page whose content changed must have been collected (see {@link
 * DirtyLogOracle}). Every mode, both backings, across the switch, and manual clear.
 */
@Tag("stress")
class DirtyLogConcurrentTest {
  /** rate: MB/s per vCPU (one store = one page), 0 = unlimited (every page rewritten constantly). */
  @ParameterizedTest(name = "{0} {1} {2} HA={3} rate={4}")
  @CsvSource({
    "SW, SIZE_4K, EAGER, true, 100",
    "HW, SIZE_4K, EAGER, true, 100",
    "SWITCH, SIZE_4K, EAGER, true, 100",
    "MANUAL_HW, SIZE_4K, EAGER, true, 100",
    "MANUAL_SW, SIZE_4K, EAGER, true, 100",
    "HW, SIZE_4K, EAGER, false, 100",
    "HW, SIZE_4K, EAGER, true, 0",
    "SWITCH, SIZE_4K, EAGER, true, 0",
    "SW, SIZE_2M, EAGER, true, 100",
    "HW, SIZE_2M, EAGER, true, 100",
    "SWITCH, SIZE_2M, EAGER, true, 100",
    "HW, SIZE_2M, LAZY, true, 100",
    "SW, SIZE_2M, LAZY, true, 100",
    "SWITCH, SIZE_2M, LAZY, false, 100",
    "MANUAL_HW, SIZE_2M, LAZY, true, 100",
    "MANUAL_SW, SIZE_2M, LAZY, true, 0",
  })
  void noPageIsLost(
      StressRun.Flow flow, BackingPageSize backing, SplitPolicy split, boolean ha, double rate) {
    StressRun run = new StressRun();
    run.seed = seed();
    run.backing = backing;
    run.split = split;
    run.hardwareAccessFlag = ha;
    run.ratePerVcpuMbps = rate;
    System.out.printf("DirtyLogConcurrentTest %s %s %s HA=%s rate=%s seed=%d (rerun: -Dstress.seed=%d)%n",
        flow, backing, split, ha, rate, run.seed, run.seed);
    StressRun.Result r = run.run(flow);
    System.out.printf("  collected=%d stores=%d %s%n", r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.collected()).as("the test must see dirty pages").isGreaterThan(0);
  }

  /** A fresh seed per run, or the one given with -Dstress.seed to reproduce a failure. */
  static long seed() {
    String s = System.getProperty("stress.seed");
    return s != null ? Long.parseLong(s) : System.nanoTime() & 0xFFFF;
  }
}
