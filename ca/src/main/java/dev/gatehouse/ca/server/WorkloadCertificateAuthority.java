package dev.gatehouse.ca.server;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.CallerAuthenticator;
import dev.gatehouse.ca.auth.CallerIdentity;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.ValidatedCsr;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.IssuedChain;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.SigningRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CreateCertificate decision, transport-free: authenticate the caller (first authenticator that succeeds),
 * check the TTL (Istio: &lt;= 0 means the default 24 h, above the maximum is rejected, not clamped), validate and
 * authorize the CSR, then sign with the caller's identity only. Every refusal is a {@link CaException} with a
 * reason safe to return; every issued certificate gets one audit line on logger {@code gatehouse.ca.audit}.
 * Thread-safe.
 */
public final class WorkloadCertificateAuthority {
  private static final Logger log = LoggerFactory.getLogger(WorkloadCertificateAuthority.class);
  private static final Logger audit = LoggerFactory.getLogger("gatehouse.ca.audit");

  /** Istio's DEFAULT_WORKLOAD_CERT_TTL and MAX_WORKLOAD_CERT_TTL. */
  public record Options(Duration defaultTtl, Duration maxTtl) {
    public Options {
      Objects.requireNonNull(defaultTtl, "defaultTtl");
      Objects.requireNonNull(maxTtl, "maxTtl");
      if (defaultTtl.compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("default workload certificate TTL exceeds the maximum");
      }
    }

    public static Options istioDefaults() {
      return new Options(Duration.ofHours(24), Duration.ofDays(90));
    }
  }

  private final CallerAuthenticator authenticator;
  private final CsrValidator validator;
  private final CertificateSigner signer;
  private final Options options;
  private final CaMetrics metrics;

  public WorkloadCertificateAuthority(
      CallerAuthenticator authenticator, CsrValidator validator, CertificateSigner signer, Options options, CaMetrics metrics) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.validator = Objects.requireNonNull(validator, "validator");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.options = Objects.requireNonNull(options, "options");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  public CertificateSigner signer() {
    return signer;
  }

  /**
   * Issues an X.509-SVID for the authenticated caller.
   *
   * @return PEM certificates, leaf first and root last, one per element, each ending in a newline
   */
  public List<String> createCertificate(AuthenticationRequest credentials, String csrPem, long validitySeconds) {
    metrics.csrReceived();
    CallerIdentity caller = authenticate(credentials);
    Duration ttl = ttl(validitySeconds, caller);
    ValidatedCsr csr;
    try {
      csr = validator.validate(csrPem, caller.spiffeId());
    } catch (CaException e) {
      if (e.error() == CaError.PERMISSION_DENIED) {
        metrics.csrDenied();
        log.warn("CSR denied: caller={} authenticator={} reason=\"{}\"", caller.spiffeId(), caller.authenticator(), e.getMessage());
      } else {
        metrics.csrParsingFailed();
        log.info("CSR rejected: caller={} reason=\"{}\"", caller.spiffeId(), e.getMessage());
      }
      throw e;
    }
    SignerReadiness readiness = signer.readiness();
    if (!readiness.ready()) {
      if (readiness.upstreamUnavailable()) {
        metrics.csrSignFailed("upstream-unavailable");
        throw new CaException(CaError.UNAVAILABLE, "upstream CA unavailable, retry later");
      }
      metrics.csrSignFailed("not-ready");
      throw new CaException(CaError.INTERNAL, "CA is not ready");
    }
    IssuedChain chain;
    try {
      chain = signer.issue(SigningRequest.workload(caller.spiffeId(), csr.publicKey(), csr.request(), ttl));
    } catch (CaException e) {
      if (e.error() == CaError.UNAVAILABLE) {
        // An upstream CA (Vault, SPIRE) is down or slow: nothing was issued; istio-agent retries UNAVAILABLE.
        metrics.csrSignFailed("upstream-unavailable");
        log.warn("signing unavailable for {} with signer {}: {}", caller.spiffeId(), signer.name(), e.getMessage());
        throw new CaException(CaError.UNAVAILABLE, "upstream CA unavailable, retry later");
      }
      metrics.csrSignFailed("signer");
      log.error("signing failed for {} with signer {}: {}", caller.spiffeId(), signer.name(), e.getMessage(), e.getCause());
      throw new CaException(CaError.INTERNAL, "certificate signing failed");
    }
    metrics.certificateIssued();
    audit.info("certificate issued identity={} serial={} notAfter={} caller={} authenticator={} signer={}",
        caller.spiffeId(), chain.serial().toString(16), chain.notAfter(),
        caller.spiffeId(), caller.authenticator(), signer.name());
    return chain.pem();
  }

  private CallerIdentity authenticate(AuthenticationRequest credentials) {
    AuthenticationResult result = authenticator.authenticate(credentials);
    if (result instanceof AuthenticationResult.Authenticated authenticated) {
      return authenticated.identity();
    }
    metrics.authenticationFailed();
    if (result instanceof AuthenticationResult.Unavailable unavailable) {
      log.warn("CSR authentication could not complete: {}", unavailable.reason());
      throw new CaException(CaError.UNAVAILABLE, "authentication unavailable: " + unavailable.reason());
    }
    String reason = result instanceof AuthenticationResult.Rejected rejected ? rejected.reason() : "no credentials";
    log.info("CSR authentication failed: {}", reason);
    throw new CaException(CaError.UNAUTHENTICATED, "authentication failed: " + reason);
  }

  private Duration ttl(long validitySeconds, CallerIdentity caller) {
    if (validitySeconds <= 0) {
      return options.defaultTtl();
    }
    Duration requested = Duration.ofSeconds(validitySeconds);
    if (requested.compareTo(options.maxTtl()) > 0) {
      metrics.csrSignFailed("ttl");
      log.info("CSR rejected: caller={} requested TTL {}s above maximum {}s", caller.spiffeId(), validitySeconds,
          options.maxTtl().toSeconds());
      throw new CaException(CaError.INVALID_ARGUMENT, "requested TTL " + validitySeconds
          + "s is greater than the max allowed TTL " + options.maxTtl().toSeconds() + "s");
    }
    return requested;
  }
}
