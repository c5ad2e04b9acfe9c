package io.dbmmigrate.dest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The destination's live statistics as Prometheus gauges (issue 15 item 5): {@code
 * dbm_receiver_active}, {@code dbm_receiver_batches_applied}, {@code dbm_receiver_pages_applied},
 * {@code dbm_receiver_received_bytes} of the session being received and {@code
 * dbm_receiver_warmup_bytes} of its page-path warm-up (0 when none), read at scrape time from {@link
 * Receiver#receivingNow()}.
 */
public final class ReceiverMetrics {
  private ReceiverMetrics() {}

  /** Binds the gauges of {@code receiver}. */
  public static void bind(MeterRegistry registry, Receiver receiver) {
    gauge(registry, "dbm.receiver.active", receiver, 0);
    gauge(registry, "dbm.receiver.batches.applied", receiver, 1);
    gauge(registry, "dbm.receiver.pages.applied", receiver, 2);
    gauge(registry, "dbm.receiver.received.bytes", receiver, 3);
    gauge(registry, "dbm.receiver.warmup.bytes", receiver, 4);
  }

  private static void gauge(MeterRegistry registry, String name, Receiver receiver, int index) {
    Gauge.builder(name, receiver, r -> r.receivingNow()[index]).strongReference(true).register(registry);
  }
}
