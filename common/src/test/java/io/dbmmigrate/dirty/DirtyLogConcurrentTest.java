package io.dbmmigrate.dirty;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.BackingPageSize;
import io.dbmmigrate.machine.SplitPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * dirty_log_test in Java: vCPUs store generation numbers while syncs run and host-MM events race;
 * after every sync every page whose content changed must have been collected (see {@link
 * DirtyLogOracle}). Every mode, both backings, across the switch, and manual clear.
 */
class DirtyLogConcurrentTest {
  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource({
    "SW, SIZE_4K, EAGER",
    "HW, SIZE_4K, EAGER",
    "SWITCH, SIZE_4K, EAGER",
    "MANUAL_HW, SIZE_4K, EAGER",
    "MANUAL_SW, SIZE_4K, EAGER",
    "SW, SIZE_2M, EAGER",
    "HW, SIZE_2M, EAGER",
    "SWITCH, SIZE_2M, EAGER",
    "HW, SIZE_2M, LAZY",
    "SW, SIZE_2M, LAZY",
    "SWITCH, SIZE_2M, LAZY",
    "MANUAL_HW, SIZE_2M, LAZY",
  })
  void noPageIsLost(StressRun.Flow flow, BackingPageSize backing, SplitPolicy split) {
    StressRun run = new StressRun();
    run.seed = System.nanoTime() & 0xFFFF;
    run.backing = backing;
    run.split = split;
    System.out.printf("DirtyLogConcurrentTest %s %s %s seed=%d%n", flow, backing, split, run.seed);
    StressRun.Result r = run.run(flow);
    System.out.printf("  collected=%d stores=%d %s%n", r.collected(), r.stores(), r.counters());
    assertThat(r.examples()).as("lost pages (seed %d)", run.seed).isEmpty();
    assertThat(r.collected()).as("the test must see dirty pages").isGreaterThan(0);
  }
}
