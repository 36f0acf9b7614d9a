package dev.gatehouse.controlplane.web;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /metrics}: the Prometheus scrape at the path of istiod's monitoring port, in istiod's format
 * ({@link IstioMetricsText}: counters without the {@code _total} suffix, so Istio's dashboards and alerts find
 * {@code citadel_server_csr_count}, {@code pilot_xds_pushes}, ...). {@code /actuator/prometheus} stays Spring Boot's
 * standard scrape, where counters end in {@code _total}.
 */
@RestController
public class PrometheusMetricsAlias {
  private static final MediaType TEXT_FORMAT = MediaType.parseMediaType(IstioMetricsText.CONTENT_TYPE);
  private final ObjectProvider<PrometheusMeterRegistry> registry;

  public PrometheusMetricsAlias(ObjectProvider<PrometheusMeterRegistry> registry) {
    this.registry = registry;
  }

  @GetMapping("/metrics")
  public ResponseEntity<String> scrape() {
    PrometheusMeterRegistry r = registry.getIfAvailable();
    if (r == null) {
      return ResponseEntity.status(HttpStatus.NOT_FOUND).body("Prometheus metrics are disabled\n");
    }
    return ResponseEntity.ok().contentType(TEXT_FORMAT).body(IstioMetricsText.write(r.getPrometheusRegistry().scrape()));
  }
}
