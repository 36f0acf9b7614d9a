package dev.gatehouse.controlplane.xds;

import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.server.ProxyConfig;
import dev.gatehouse.xds.server.XdsServerEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The xDS server's events as Micrometer meters under Istio's metric names (pilot/pkg/xds/monitoring.go), with
 * Istio's buckets: latencies are timers (exported in seconds under the exact name, see
 * {@link dev.gatehouse.controlplane.web.IstioMetricNaming}), sizes a distribution summary in bytes with no base unit, so
 * Prometheus shows {@code pilot_proxy_convergence_time_bucket}, {@code pilot_xds_config_size_bytes_bucket}, ...; {@code /metrics} writes the counters without the
 * {@code _total} suffix Micrometer's Prometheus registry would add ({@code pilot_xds_pushes{type="cds"}}, see
 * {@link dev.gatehouse.controlplane.web.IstioMetricsText}). The counters start at zero for cds, eds, lds and rds, so
 * rates and reject alerts have series before the first event. Gauges over live state ({@code pilot_xds},
 * {@code pilot_xds_*_reject}) are registered by {@link XdsServerConfiguration}. Thread-safe.
 */
final class MicrometerXdsEvents implements XdsServerEvents {
  private static final Duration[] CONVERGENCE_BUCKETS = seconds(0.1, 0.5, 1, 3, 5, 10, 20, 30);
  private static final Duration[] PUSH_TIME_BUCKETS = seconds(0.01, 0.1, 1, 3, 5, 10, 20, 30);
  private static final double[] SIZE_BUCKETS = {1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000};

  private final MeterRegistry registry;
  private final Timer convergence;
  private final Timer pushTime;
  private final Map<String, Counter> pushes = new ConcurrentHashMap<>();
  private final Map<String, Counter> rejects = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> sizes = new ConcurrentHashMap<>();

  MicrometerXdsEvents(MeterRegistry registry) {
    this.registry = registry;
    this.convergence = Timer.builder("pilot_proxy_convergence_time")
        .description("Delay in seconds between a config change and a proxy receiving (ACKing) it")
        .serviceLevelObjectives(CONVERGENCE_BUCKETS).register(registry);
    this.pushTime = Timer.builder("pilot_xds_push_time")
        .description("Seconds to recompute and hand one snapshot to every connected proxy")
        .serviceLevelObjectives(PUSH_TIME_BUCKETS).register(registry);
    for (String typeUrl : ProxyConfig.TYPES) {
      pushCounter(shortType(typeUrl));
      rejectCounter(shortType(typeUrl));
    }
  }

  private Counter pushCounter(String type) {
    return pushes.computeIfAbsent(type, t -> Counter.builder("pilot_xds_pushes").tag("type", t)
        .description("xDS responses sent, by type").register(registry));
  }

  private Counter rejectCounter(String type) {
    return rejects.computeIfAbsent(type, t -> Counter.builder("pilot_total_xds_rejects").tag("type", t)
        .description("xDS responses NACKed by proxies, by type").register(registry));
  }

  static Duration[] seconds(double... bounds) {
    Duration[] out = new Duration[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      out[i] = Duration.ofNanos(Math.round(bounds[i] * 1e9));
    }
    return out;
  }

  /** Istio's short type names: cds, eds, lds, rds. */
  static String shortType(String typeUrl) {
    return switch (typeUrl) {
      case ProxyResources.CLUSTER -> "cds";
      case ProxyResources.ENDPOINT -> "eds";
      case ProxyResources.LISTENER -> "lds";
      case ProxyResources.ROUTE -> "rds";
      default -> typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
    };
  }

  @Override
  public void pushed(String typeUrl, int resources, long bytes) {
    String type = shortType(typeUrl);
    pushCounter(type).increment();
    sizes.computeIfAbsent(type, t -> DistributionSummary.builder("pilot_xds_config_size_bytes").tag("type", t)
        .description("Size in bytes of the resources in one xDS response")
        .serviceLevelObjectives(SIZE_BUCKETS).register(registry)).record(bytes);
  }

  @Override
  public void rejected(String typeUrl) {
    String type = shortType(typeUrl);
    rejectCounter(type).increment();
  }

  @Override
  public void converged(Duration sinceSnapshot) {
    convergence.record(sinceSnapshot);
  }

  @Override
  public void pushCompleted(Duration took, int distinctProxies, int streams) {
    pushTime.record(took);
  }
}
