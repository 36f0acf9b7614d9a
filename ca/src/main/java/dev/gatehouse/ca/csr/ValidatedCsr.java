package dev.gatehouse.ca.csr;

import java.security.PublicKey;
import java.util.Objects;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * A CSR that parsed, proved possession of its key, uses an acceptable key and asks for nothing it may not have.
 */
public record ValidatedCsr(PKCS10CertificationRequest request, PublicKey publicKey, KeyKind keyKind) {
  public ValidatedCsr {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(keyKind, "keyKind");
  }

  /** The key types the CA signs for. */
  public enum KeyKind {
    EC_P256,
    EC_P384,
    RSA;

    public boolean isRsa() {
      return this == RSA;
    }
  }
}
