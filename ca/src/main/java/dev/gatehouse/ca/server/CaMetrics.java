package dev.gatehouse.ca.server;

/**
 * CA counters, named after Istio's (security/pkg/server/ca/monitoring.go); the control plane binds them to
 * Micrometer. The two expiry gauges ({@code citadel_server_root_cert_expiry_timestamp},
 * {@code citadel_server_cert_chain_expiry_timestamp}) are read from the signer directly. Implementations are
 * thread-safe.
 */
public interface CaMetrics {
  /** {@code citadel_server_csr_count}: every CreateCertificate call. */
  void csrReceived();

  /** {@code citadel_server_authentication_failure_count}. */
  void authenticationFailed();

  /** {@code citadel_server_csr_parsing_err_count}: the CSR is malformed or its key/signature is unacceptable. */
  void csrParsingFailed();

  /** Gatehouse's stricter authorization: the CSR asked for an identity or capability the caller did not prove. */
  void csrDenied();

  /** {@code citadel_server_csr_sign_err_count}, by error type ({@code ttl}, {@code not-ready}, {@code signer},
   * {@code upstream-unavailable}). */
  void csrSignFailed(String errorType);

  /** {@code citadel_server_success_cert_issuance_count}. */
  void certificateIssued();

  CaMetrics NONE = new CaMetrics() {
    @Override
    public void csrReceived() {}

    @Override
    public void authenticationFailed() {}

    @Override
    public void csrParsingFailed() {}

    @Override
    public void csrDenied() {}

    @Override
    public void csrSignFailed(String errorType) {}

    @Override
    public void certificateIssued() {}
  };
}
