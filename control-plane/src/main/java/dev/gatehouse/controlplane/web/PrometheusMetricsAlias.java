package dev.gatehouse.controlplane.web;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /metrics}: the Prometheus scrape at the path istiod's monitoring port uses, besides /actuator/prometheus. */
@RestController
public class PrometheusMetricsAlias {
  private static final MediaType TEXT_FORMAT = MediaType.parseMediaType("text/plain;version=0.0.4;charset=utf-8");
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
    return ResponseEntity.ok().contentType(TEXT_FORMAT).body(r.scrape());
  }
}
