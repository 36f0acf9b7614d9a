package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.OverlappingTrustSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamSigner;
import java.security.cert.X509Certificate;
import java.util.List;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * {@code workloadCa} in {@code /actuator/health}: OUT_OF_SERVICE while the signer cannot sign (store unreachable,
 * invalid plugged-in material), with the reason; UP with the signer, signing subject and expiries otherwise.
 *
 * <p>An upstream CA (Vault, SPIRE) that cannot be reached is reported as {@code UPSTREAM_UNAVAILABLE} with the reason.
 * That status is outside Spring's aggregation order, so it does not take the replica out of the Service: every
 * replica depends on the same upstream, and the same port serves xDS, which must keep flowing while CSRs get
 * {@code UNAVAILABLE}.
 */
public final class CaHealthIndicator implements HealthIndicator {
  private final CertificateSigner signer;
  private final CaCrypto crypto;

  public CaHealthIndicator(CertificateSigner signer) {
    this(signer, CaCrypto.active());
  }

  public CaHealthIndicator(CertificateSigner signer, CaCrypto crypto) {
    this.signer = signer;
    this.crypto = crypto;
  }

  public static final Status UPSTREAM_UNAVAILABLE = new Status("UPSTREAM_UNAVAILABLE", "the upstream CA cannot be reached");

  @Override
  public Health health() {
    SignerReadiness readiness = signer.readiness();
    if (!readiness.ready()) {
      Health.Builder builder = readiness.upstreamUnavailable() ? Health.status(UPSTREAM_UNAVAILABLE) : Health.outOfService();
      builder.withDetail("signer", signer.name()).withDetail("reason", readiness.reason());
      if (OverlappingTrustSigner.base(signer) instanceof UpstreamSigner upstream) {
        builder.withDetail("issuance", upstream.issuance()).withDetail("upstreamSince", upstream.health().since().toString());
      }
      return builder.build();
    }
    List<X509Certificate> chain = signer.signingChain();
    TrustBundle bundle = signer.trustBundle();
    Health.Builder up = Health.up();
    if (OverlappingTrustSigner.base(signer) instanceof UpstreamSigner upstream) {
      up.withDetail("issuance", upstream.issuance()).withDetail("upstream", upstream.health().up() ? "UP" : "DOWN");
      if (!upstream.health().up()) {
        // Intermediate mode: signing continues on the current intermediate while its renewal is failing.
        up.withDetail("upstreamReason", upstream.health().reason());
      }
    }
    if (signer instanceof OverlappingTrustSigner overlap && !overlap.overlapRootsTrusted().isEmpty()) {
      up.withDetail("overlapRoots", overlap.overlapRootsTrusted().size())
          .withDetail("overlapRootsUntil", overlap.until().toString());
    }
    return up
        .withDetail("signer", signer.name())
        .withDetail("signingCertificate", chain.get(0).getSubjectX500Principal().getName())
        .withDetail("signingCertificateExpires", chain.get(0).getNotAfter().toInstant().toString())
        .withDetail("roots", bundle.roots().size())
        .withDetail("earliestRootExpiry", bundle.earliestExpiry().toString())
        .withDetail("cryptoProvider", crypto.providerName() + (crypto.isNative() ? " (native)" : " (JDK)"))
        .build();
  }
}
