package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.server.CaMetrics;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.upstream.UpstreamHealth;
import dev.gatehouse.ca.signer.OverlappingTrustSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamSigner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds {@link CaMetrics} to Micrometer under Istio's metric names (security/pkg/server/ca/monitoring.go). Meter
 * names are exactly Istio's and carry no base unit; {@code /metrics} writes counters without the {@code _total} suffix
 * Micrometer's Prometheus registry would add ({@link dev.gatehouse.controlplane.web.IstioMetricsText}), as istiod does.
 * The sign-error counter starts at zero for each error type the CA reports, so its series exist before the first
 * error. Thread-safe.
 */
public final class MicrometerCaMetrics implements CaMetrics {
  /** The error types {@code WorkloadCertificateAuthority} reports (see {@link CaMetrics#csrSignFailed}). */
  private static final List<String> SIGN_ERROR_TYPES = List.of("ttl", "not-ready", "signer", "upstream-unavailable");

  private final Counter csr;
  private final Counter authenticationFailure;
  private final Counter parsingError;
  private final Counter denied;
  private final MeterRegistry registry;
  private final Counter issued;
  private final Map<String, Counter> signErrors = new ConcurrentHashMap<>();

  public MicrometerCaMetrics(MeterRegistry registry, CertificateSigner signer, Clock clock) {
    this.registry = registry;
    csr = Counter.builder("citadel_server_csr_count").description("The number of CSRs received by the CA server.").register(registry);
    authenticationFailure = Counter.builder("citadel_server_authentication_failure_count")
        .description("The number of authentication failures.").register(registry);
    parsingError = Counter.builder("citadel_server_csr_parsing_err_count")
        .description("The number of errors occurred when parsing the CSR.").register(registry);
    denied = Counter.builder("gatehouse_ca_csr_denied_count")
        .description("CSRs refused because they asked for an identity or capability the caller did not prove.").register(registry);
    issued = Counter.builder("citadel_server_success_cert_issuance_count")
        .description("The number of certificates issuances that have succeeded.").register(registry);
    Gauge.builder("citadel_server_root_cert_expiry_timestamp", signer, s -> rootExpiry(s))
        .description("The unix timestamp, in seconds, when the root cert will expire.").register(registry);
    Gauge.builder("citadel_server_cert_chain_expiry_timestamp", signer, s -> chainExpiry(s))
        .description("The unix timestamp, in seconds, when the CA cert chain will expire.").register(registry);
    Gauge.builder("citadel_server_root_cert_expiry_seconds", signer, s -> rootExpiry(s) - clock.instant().getEpochSecond())
        .description("The time remaining, in seconds, before the root cert will expire.").register(registry);
    Gauge.builder("citadel_server_cert_chain_expiry_seconds", signer, s -> chainExpiry(s) - clock.instant().getEpochSecond())
        .description("The time remaining, in seconds, before the CA cert chain will expire.").register(registry);
    for (String errorType : SIGN_ERROR_TYPES) {
      signError(errorType);
    }
    if (OverlappingTrustSigner.base(signer) instanceof UpstreamSigner upstream) {
      UpstreamHealth health = upstream.health();
      Gauge.builder("gatehouse_ca_upstream_up", health, h -> h.up() ? 1 : 0)
          .description("1 while the upstream CA (Vault, SPIRE) answers, 0 while it cannot be reached.")
          .tag("signer", upstream.name()).tag("issuance", upstream.issuance()).register(registry);
      for (String kind : UpstreamHealth.FAILURE_KINDS) {
        FunctionCounter.builder("gatehouse_ca_upstream_failure_count", health, h -> h.failures(kind))
            .description("Upstream CA calls that failed, by kind: unavailable (down, slow, 5xx), refused (4xx, login),"
                + " invalid-answer (did not verify).")
            .tag("signer", upstream.name()).tag("kind", kind).register(registry);
      }
    }
  }

  /**
   * {@code gatehouse_ca_crypto_provider{provider,native} 1}: which provider verifies CSRs and signs certificates, so
   * that a fleet where some replicas fell back to the JDK's (several times slower) is visible in one query.
   */
  public void cryptoProvider(CaCrypto crypto) {
    Gauge.builder("gatehouse_ca_crypto_provider", () -> 1)
        .description("The JCA provider the CA verifies CSRs and signs certificates with (value always 1).")
        .tag("provider", crypto.providerName())
        .tag("native", Boolean.toString(crypto.isNative()))
        .register(registry);
  }

  private Counter signError(String errorType) {
    return signErrors.computeIfAbsent(errorType, t -> Counter.builder("citadel_server_csr_sign_err_count")
        .description("The number of errors occurred when signing the CSR.").tag("error_type", t).register(registry));
  }

  private static double rootExpiry(CertificateSigner signer) {
    TrustBundle bundle = signer.trustBundle();
    return bundle == null ? Double.NaN : bundle.earliestExpiry().getEpochSecond();
  }

  private static double chainExpiry(CertificateSigner signer) {
    List<X509Certificate> chain = signer.signingChain();
    return chain.stream().mapToLong(c -> c.getNotAfter().toInstant().getEpochSecond()).min().orElse(Long.MIN_VALUE) == Long.MIN_VALUE
        ? Double.NaN
        : chain.stream().mapToLong(c -> c.getNotAfter().toInstant().getEpochSecond()).min().getAsLong();
  }

  @Override
  public void csrReceived() {
    csr.increment();
  }

  @Override
  public void authenticationFailed() {
    authenticationFailure.increment();
  }

  @Override
  public void csrParsingFailed() {
    parsingError.increment();
  }

  @Override
  public void csrDenied() {
    denied.increment();
  }

  @Override
  public void csrSignFailed(String errorType) {
    signError(errorType).increment();
  }

  @Override
  public void certificateIssued() {
    issued.increment();
  }
}
