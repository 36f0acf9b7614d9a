package dev.gatehouse.ca.signer;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * A validated, authorized request to sign: the identity the certificate must carry (already decided by the CA,
 * never taken from the CSR), the subject public key, the original CSR (for back-ends such as Vault or SPIRE that
 * sign CSRs themselves), the lifetime, and DNS names (only for Gatehouse's own serving certificate).
 */
public record SigningRequest(
    SpiffeId identity, PublicKey publicKey, PKCS10CertificationRequest csr, Duration ttl, List<String> dnsNames) {
  public SigningRequest {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(ttl, "ttl");
    dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive");
    }
  }

  public static SigningRequest workload(SpiffeId identity, PublicKey key, PKCS10CertificationRequest csr, Duration ttl) {
    return new SigningRequest(identity, key, csr, ttl, List.of());
  }
}
