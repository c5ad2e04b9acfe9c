package io.dbmmigrate.metrics;

import io.dbmmigrate.jvm.GcPauseRecorder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * {@code --metrics-port} and {@code --metrics-bind} for both nodes: when a port is given, the node
 * serves its statistics for Prometheus at {@code http://BIND:PORT/metrics} and prints {@code
 * METRICS_LISTENING port=<n>} on stdout once it listens.
 */
public final class MetricsOptions {
  @Option(
      names = "--metrics-port",
      paramLabel = "N",
      description = "Serve Prometheus metrics on this port (0: an ephemeral one). Default: off.")
  public int metricsPort = -1;

  @Option(
      names = "--metrics-bind",
      paramLabel = "ADDR",
      description = "Address the metrics endpoint binds. Default: ${DEFAULT-VALUE}.")
  public String metricsBind = "127.0.0.1";

  public boolean enabled() {
    return metricsPort >= 0;
  }

  /**
   * Starts the endpoint (null when disabled): the node's own meters via {@code bind}, plus its
   * collector pauses tagged with {@code node}.
   */
  public MetricsEndpoint start(String node, GcPauseRecorder gc, Consumer<PrometheusMeterRegistry> bind)
      throws IOException {
    if (!enabled()) return null;
    if (metricsPort > 65535) throw new IllegalArgumentException("--metrics-port must be 0..65535, not " + metricsPort);
    PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
    GcPauseMetrics.bind(registry, gc, node);
    bind.accept(registry);
    MetricsEndpoint endpoint = MetricsEndpoint.start(metricsBind, metricsPort, registry);
    System.out.println(io.dbmmigrate.process.ListeningLine.format(io.dbmmigrate.process.ListeningLine.METRICS, endpoint.port()));
    System.out.flush();
    return endpoint;
  }
}
