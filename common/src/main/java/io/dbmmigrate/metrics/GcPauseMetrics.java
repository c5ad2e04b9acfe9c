package io.dbmmigrate.metrics;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Exposes a node's collector pauses as counters: {@code dbm_gc_pauses_total} and {@code
 * dbm_gc_pause_seconds_total} (both since the recorder started), tagged with the node.
 */
public final class GcPauseMetrics {
  private GcPauseMetrics() {}

  public static void bind(MeterRegistry registry, GcPauseRecorder recorder, String node) {
    FunctionCounter.builder("dbm.gc.pauses", recorder, GcPauseRecorder::count)
        .description("collector pauses of this node's JVM")
        .tag("node", node)
        .register(registry);
    FunctionCounter.builder("dbm.gc.pause.seconds", recorder, r -> r.totalNanos() / 1e9)
        .description("total collector pause time of this node's JVM")
        .tag("node", node)
        .register(registry);
  }
}
