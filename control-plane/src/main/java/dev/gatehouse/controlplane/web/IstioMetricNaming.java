package dev.gatehouse.controlplane.web;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.boot.micrometer.metrics.autoconfigure.MeterRegistryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Istio's metric families ({@code pilot_*}, {@code citadel_*}) keep their exact names in Prometheus. Istio's latency
 * histograms are in seconds without a unit suffix ({@code pilot_proxy_convergence_time_bucket}); Gatehouse records
 * them with Micrometer {@link io.micrometer.core.instrument.Timer}s, which bucket at nanosecond precision (a
 * {@code DistributionSummary} rounds each value up to a whole number before bucketing, so every sub-second latency
 * would land in the 1 s bucket), and the Prometheus registry would name them {@code ..._seconds}. This convention
 * leaves those timer names as they are; everything else is named by the registry's own convention. The counter
 * suffix is the scrape writer's business ({@link IstioMetricsText}).
 */
@Configuration(proxyBeanMethods = false)
public class IstioMetricNaming {

  @Bean
  MeterRegistryCustomizer<PrometheusMeterRegistry> istioMetricNames() {
    return registry -> registry.config().namingConvention(new Convention(registry.config().namingConvention()));
  }

  /** Keeps Istio-named timers as they are; delegates everything else. */
  static final class Convention implements NamingConvention {
    private final NamingConvention delegate;

    Convention(NamingConvention delegate) {
      this.delegate = delegate;
    }

    static boolean istioName(String name) {
      return (name.startsWith("pilot_") || name.startsWith("citadel_")) && name.indexOf('.') < 0;
    }

    @Override
    public String name(String name, Meter.Type type, String baseUnit) {
      if (type == Meter.Type.TIMER && istioName(name)) {
        return name;
      }
      return delegate.name(name, type, baseUnit);
    }

    @Override
    public String tagKey(String key) {
      return delegate.tagKey(key);
    }

    @Override
    public String tagValue(String value) {
      return delegate.tagValue(value);
    }
  }
}
