package dev.gatehouse.ca.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Records CA metric increments by Istio metric name. */
final class CountingCaMetrics implements CaMetrics {
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  int get(String name) {
    AtomicInteger c = counts.get(name);
    return c == null ? 0 : c.get();
  }

  private void inc(String name) {
    counts.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
  }

  public void csrReceived() {
    inc("citadel_server_csr_count");
  }

  public void authenticationFailed() {
    inc("citadel_server_authentication_failure_count");
  }

  public void csrParsingFailed() {
    inc("citadel_server_csr_parsing_err_count");
  }

  public void csrDenied() {
    inc("gatehouse_ca_csr_denied_count");
  }

  public void csrSignFailed(String errorType) {
    inc("citadel_server_csr_sign_err_count");
  }

  public void certificateIssued() {
    inc("citadel_server_success_cert_issuance_count");
  }
}
