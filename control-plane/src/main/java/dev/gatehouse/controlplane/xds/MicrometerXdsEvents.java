package dev.gatehouse.controlplane.xds;

import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.server.Nack;
import dev.gatehouse.xds.server.ProxyConfig;
import dev.gatehouse.xds.server.XdsServerEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The xDS server's events as Micrometer meters under Istio's metric names (pilot/pkg/xds/monitoring.go), with
 * Istio's buckets: latencies are timers (exported in seconds under the exact name, see
 * {@link dev.gatehouse.controlplane.web.IstioMetricNaming}), sizes a distribution summary in bytes with no base unit, so
 * Prometheus shows {@code pilot_proxy_convergence_time_bucket}, {@code pilot_xds_config_size_bytes_bucket}, ...; {@code /metrics} writes the counters without the
 * {@code _total} suffix Micrometer's Prometheus registry would add ({@code pilot_xds_pushes{type="cds"}}, see
 * {@link dev.gatehouse.controlplane.web.IstioMetricsText}). The counters start at zero for cds, eds, lds and rds, so
 * rates and reject alerts have series before the first event.
 *
 * <p>NACKs, as istiod counts them (pilot/pkg/xds/monitoring.go {@code incrementXDSRejects}):
 * {@code pilot_total_xds_rejects{type}}, and {@code pilot_xds_<type>_reject{node,err}}, a gauge that only grows, one
 * series per proxy ID and gRPC code name ({@code err="InvalidArgument"}). The {@code err} label is bounded by
 * construction (17 names and {@code Unrecognized}); the {@code node} label has one value per NACKing proxy, and past
 * {@value #MAX_REJECT_SERIES} series per type further proxies are counted under {@code node="other"}, so a NACK storm
 * across a large mesh cannot grow the registry without bound. Gauges over live state ({@code pilot_xds},
 * {@code gatehouse_xds_proxies_rejecting}) are registered by {@link XdsServerConfiguration}. Thread-safe.
 */
final class MicrometerXdsEvents implements XdsServerEvents {
  private static final Duration[] CONVERGENCE_BUCKETS = seconds(0.1, 0.5, 1, 3, 5, 10, 20, 30);
  private static final Duration[] PUSH_TIME_BUCKETS = seconds(0.01, 0.1, 1, 3, 5, 10, 20, 30);
  private static final double[] SIZE_BUCKETS = {1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000};
  static final int MAX_REJECT_SERIES = 1000;
  static final String OTHER_NODES = "other";

  private final MeterRegistry registry;
  private final Timer convergence;
  private final Timer pushTime;
  private final Map<String, Counter> pushes = new ConcurrentHashMap<>();
  private final Map<String, Counter> rejects = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> sizes = new ConcurrentHashMap<>();
  /** type -> (node, err) -> count, behind the pilot_xds_<type>_reject gauges. */
  private final Map<String, Map<List<String>, AtomicLong>> rejectSeries = new ConcurrentHashMap<>();

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
  public void rejected(Nack nack, String proxyId) {
    String type = shortType(nack.typeUrl());
    rejectCounter(type).increment();
    Map<List<String>, AtomicLong> series = rejectSeries.computeIfAbsent(type, t -> new ConcurrentHashMap<>());
    List<String> key = List.of(proxyId, nack.errLabel());
    AtomicLong count = series.get(key);
    if (count == null) {
      synchronized (series) {
        if (!series.containsKey(key) && series.size() >= MAX_REJECT_SERIES) {
          key = List.of(OTHER_NODES, nack.errLabel());
        }
        count = series.computeIfAbsent(key, k -> {
          AtomicLong n = new AtomicLong();
          Gauge.builder("pilot_xds_" + type + "_reject", n, AtomicLong::get)
              .tag("node", k.get(0)).tag("err", k.get(1))
              .description("NACKs of " + type.toUpperCase() + " responses, by proxy and gRPC code").register(registry);
          return n;
        });
      }
    }
    count.incrementAndGet();
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
