package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.TrustBundle;
import java.security.cert.X509Certificate;
import java.util.List;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code workloadCa} in {@code /actuator/health}: OUT_OF_SERVICE while the signer cannot sign (store unreachable,
 * invalid plugged-in material), with the reason; UP with the signer, signing subject and expiries otherwise.
 */
public final class CaHealthIndicator implements HealthIndicator {
  private final CertificateSigner signer;

  public CaHealthIndicator(CertificateSigner signer) {
    this.signer = signer;
  }

  @Override
  public Health health() {
    SignerReadiness readiness = signer.readiness();
    if (!readiness.ready()) {
      return Health.outOfService().withDetail("signer", signer.name()).withDetail("reason", readiness.reason()).build();
    }
    List<X509Certificate> chain = signer.signingChain();
    TrustBundle bundle = signer.trustBundle();
    return Health.up()
        .withDetail("signer", signer.name())
        .withDetail("signingCertificate", chain.get(0).getSubjectX500Principal().getName())
        .withDetail("signingCertificateExpires", chain.get(0).getNotAfter().toInstant().toString())
        .withDetail("roots", bundle.roots().size())
        .withDetail("earliestRootExpiry", bundle.earliestExpiry().toString())
        .build();
  }
}
