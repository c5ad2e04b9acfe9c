package io.dbmmigrate.dest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The destination's live statistics as Prometheus gauges (issue 15 item 5): {@code
 * dbm_receiver_active}, {@code dbm_receiver_batches_applied}, {@code dbm_receiver_pages_applied},
 * {@code dbm_receiver_received_bytes} of the session being received (0 when none), read at scrape
 * time from {@link MigrationTargetService#receivingNow()}.
 */
public final class ReceiverMetrics {
  private ReceiverMetrics() {}

  /** Binds the gauges of the MigrationTargetService among {@code services} (none: nothing bound). */
  public static void bind(MeterRegistry registry, List<?> services) {
    for (Object o : services)
      if (o instanceof MigrationTargetService t) {
        gauge(registry, "dbm.receiver.active", t, 0);
        gauge(registry, "dbm.receiver.batches.applied", t, 1);
        gauge(registry, "dbm.receiver.pages.applied", t, 2);
        gauge(registry, "dbm.receiver.received.bytes", t, 3);
      }
  }

  private static void gauge(MeterRegistry registry, String name, MigrationTargetService t, int index) {
    Gauge.builder(name, t, s -> s.receivingNow()[index]).strongReference(true).register(registry);
  }
}
