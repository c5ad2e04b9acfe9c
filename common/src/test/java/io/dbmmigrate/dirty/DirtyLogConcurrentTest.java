package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.dirty.SplitPolicy;
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
    "RING, SIZE_4K, EAGER, true, 100",
    "RING, SIZE_4K, EAGER, true, 0",
    "RING, SIZE_2M, LAZY, true, 100",
    "RING, SIZE_2M, EAGER, false, 0",
    "HDBSS, SIZE_4K, EAGER, true, 100",
    "HDBSS, SIZE_4K, EAGER, true, 0",
    "HDBSS, SIZE_2M, LAZY, true, 0",
    "HDBSS_SWITCH, SIZE_4K, EAGER, true, 0",
    "HDBSS_SWITCH, SIZE_2M, LAZY, false, 100",
    "COMBINED, SIZE_4K, EAGER, true, 100",
    "COMBINED, SIZE_4K, EAGER, true, 0",
    "COMBINED, SIZE_2M, LAZY, true, 0",
    "COMBINED_SWITCH, SIZE_4K, EAGER, true, 0",
    "COMBINED_SWITCH, SIZE_2M, LAZY, false, 100",
  })
  void noPageIsLost(
      StressRun.Flow flow, BackingPageSize backing, SplitPolicy split, boolean ha, double rate) {
    StressRun run = new StressRun();
    run.seed = seed();
    run.backing = backing;
    run.split = split;
    run.hardwareAccessFlag = ha;
    run.ratePerVcpuMbps = rate;
    // The ring, HDBSS and combined rows at full speed run 40 rounds in CI; -Dstress.long=true
    // runs them as long as the others.
    if (rate == 0 && flow.ordinal() >= StressRun.Flow.RING.ordinal() && !Boolean.getBoolean("stress.long"))
      run.rounds = 40;
    System.out.printf("DirtyLogConcurrentTest %s %s %s HA=%s rate=%s seed=%d (rerun: -Dstress.seed=%d)%n",
        flow, backing, split, ha, rate, run.seed, run.seed);
    StressRun.Result r = run.run(flow);
    System.out.printf("  collected=%d stores=%d %s%n", r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.collected()).as("the test must see dirty pages").isGreaterThan(0);
  }

  /**
   * A scan range with a partial last chunk (66 MiB of RAM in 16 MiB chunks) at 1, 2 and 4 scan
   * threads, in HW mode and across the switch, host aging and remaps racing.
   */
  @ParameterizedTest(name = "{0} partial chunk, {1} scan threads")
  @CsvSource({"HW, 1", "HW, 2", "HW, 4", "SWITCH, 2", "MANUAL_HW, 4"})
  void noPageIsLostInAPartialLastChunk(StressRun.Flow flow, int threads) {
    StressRun run = partialChunkRun(threads);
    run.seed = seed();
    System.out.printf("DirtyLogConcurrentTest %s partial chunk threads=%d seed=%d%n", flow, threads, run.seed);
    StressRun.Result r = run.run(flow);
    System.out.printf("  collected=%d stores=%d %s%n", r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.collected()).as("the test must see dirty pages").isGreaterThan(0);
  }

  /**
   * Writes that bypass stage 2: a device writes RAM by DMA while the vCPUs store, in every mode;
   * the device bitmap must carry its pages into every sync.
   */
  @ParameterizedTest(name = "{0} with device writes")
  @CsvSource({"SW", "HW", "SWITCH", "RING", "HDBSS", "COMBINED", "MANUAL_HW"})
  void deviceWritesAreNeverLost(StressRun.Flow flow) {
    StressRun run = new StressRun();
    run.seed = seed();
    run.deviceWriteMbps = 200;
    run.rounds = 80;
    System.out.printf("DirtyLogConcurrentTest %s device seed=%d%n", flow, run.seed);
    StressRun.Result r = run.run(flow);
    System.out.printf("  collected=%d stores=%d %s%n", r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.counters()).as("the device wrote").doesNotContain("dma=0");
  }

  /** With QEMU's dirty limit on (faults, ring-full and buffer-full exits throttle): still exact. */
  @ParameterizedTest(name = "{0} with a dirty limit")
  @CsvSource({"SW", "RING", "HDBSS", "COMBINED"})
  void aDirtyLimitLosesNothing(StressRun.Flow flow) {
    StressRun run = new StressRun();
    run.seed = seed();
    run.ratePerVcpuMbps = 0;
    run.dirtyLimitMbps = 50;
    run.rounds = 60;
    StressRun.Result r = run.run(flow);
    System.out.printf("DirtyLogConcurrentTest %s dirty-limit seed=%d collected=%d stores=%d %s%n",
        flow, run.seed, r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.collected()).isGreaterThan(0);
  }

  /** RAM that ends in a partial scan chunk. */
  static StressRun partialChunkRun(int threads) {
    StressRun run = new StressRun();
    run.ramBytes = 66L << 20;
    run.scanChunkBytes = 16L << 20;
    run.scanThreads = threads;
    return run;
  }

  /** A fresh seed per run, or the one given with -Dstress.seed to reproduce a failure. */
  static long seed() {
    String s = System.getProperty("stress.seed");
    return s != null ? Long.parseLong(s) : System.nanoTime() & 0xFFFF;
  }
}
