package dev.gatehouse.ca.signer;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Local signing material, immutable: the CA key, the chain from the signing certificate up to and including its
 * root, and the trust bundle to publish (which may hold more roots than the one this chain ends in).
 */
public record SigningAuthority(PrivateKey key, List<X509Certificate> chain, TrustBundle trustBundle) {
  public SigningAuthority {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(trustBundle, "trustBundle");
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("signing chain is empty");
    }
  }

  public X509Certificate signingCertificate() {
    return chain.get(0);
  }

  public X509Certificate root() {
    return chain.get(chain.size() - 1);
  }
}
