package dev.gatehouse.controlplane.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IstioMetricsTextTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void countersKeepTheirNameWithoutTheTotalSuffix() {
    Counter.builder("citadel_server_csr_count").description("The number of CSRs received by the CA server.")
        .register(registry).increment(3);
    Counter.builder("pilot_xds_pushes").tag("type", "cds").description("xDS responses sent").register(registry).increment();
    Counter.builder("pilot_xds_pushes").tag("type", "lds").description("xDS responses sent").register(registry);

    String text = IstioMetricsText.write(registry.getPrometheusRegistry().scrape());

    assertThat(text).contains("""
        # HELP citadel_server_csr_count The number of CSRs received by the CA server.
        # TYPE citadel_server_csr_count counter
        citadel_server_csr_count 3.0
        """);
    assertThat(text).contains("# TYPE pilot_xds_pushes counter\n")
        .contains("pilot_xds_pushes{type=\"cds\"} 1.0\n")
        .contains("pilot_xds_pushes{type=\"lds\"} 0.0\n")
        .doesNotContain("_total");
    // client_java's own writer, for contrast: this is what Istio's dashboards would not find.
    assertThat(registry.scrape()).contains("citadel_server_csr_count_total 3.0");
  }

  @Test
  void istioTimersAreSecondsHistogramsUnderTheirExactNameAndOtherTypesAreClientJavas() {
    registry.config().namingConvention(new IstioMetricNaming.Convention(registry.config().namingConvention()));
    Gauge.builder("pilot_xds", () -> 2).description("Connected xDS streams").register(registry);
    Timer.builder("pilot_debounce_time")
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1))
        .register(registry).record(Duration.ofMillis(50));
    Timer.builder("gatehouse.reload.time").register(registry).record(Duration.ofMillis(20));

    String text = IstioMetricsText.write(registry.getPrometheusRegistry().scrape());

    assertThat(text).contains("# TYPE pilot_xds gauge\npilot_xds 2.0\n")
        .contains("# TYPE pilot_debounce_time histogram\n")
        .contains("pilot_debounce_time_bucket{le=\"0.01\"} 0\n")
        .contains("pilot_debounce_time_bucket{le=\"0.1\"} 1\n")
        .contains("pilot_debounce_time_count 1\n")
        .contains("pilot_debounce_time_sum 0.05\n")
        .doesNotContain("pilot_debounce_time_seconds")
        // Not an Istio name: the registry's convention (unit suffix) applies.
        .contains("gatehouse_reload_time_seconds_count 1\n");
    // Nothing lost or added against client_java's writer when there are no counters.
    assertThat(text).isEqualTo(registry.scrape());
  }

  @Test
  void labelValuesAndHelpAreEscaped() {
    Counter.builder("gatehouse_odd_count").description("a \\ backslash\nand a newline").tag("reason", "say \"no\"\\")
        .register(registry).increment();

    String text = IstioMetricsText.write(registry.getPrometheusRegistry().scrape());

    assertThat(text).contains("# HELP gatehouse_odd_count a \\\\ backslash\\nand a newline\n")
        .contains("gatehouse_odd_count{reason=\"say \\\"no\\\"\\\\\"} 1.0\n");
    // Same escaping as client_java's writer.
    assertThat(registry.scrape()).contains("gatehouse_odd_count_total{reason=\"say \\\"no\\\"\\\\\"} 1.0\n");
  }
}
