package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.signer.TrustBundle;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Istio's ClientCertAuthenticator (security/pkg/server/ca/authenticate/cert_authenticator.go), used for renewals:
 * the TLS client certificate chain must verify to the current trust bundle, and the leaf's single URI SAN is the
 * caller's SPIFFE identity in this trust domain. The bundle is re-read per call, so a root that is no longer
 * trusted stops authenticating at once. Thread-safe.
 */
public final class ClientCertificateAuthenticator implements CallerAuthenticator {
  public static final String NAME = "client-certificate";
  private static final int URI_SAN = 6;

  private final Supplier<TrustBundle> trustBundle;
  private final String trustDomain;
  private final Clock clock;

  public ClientCertificateAuthenticator(Supplier<TrustBundle> trustBundle, String trustDomain, Clock clock) {
    this.trustBundle = Objects.requireNonNull(trustBundle, "trustBundle");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public AuthenticationResult authenticate(AuthenticationRequest request) {
    List<X509Certificate> chain = request.peerChain();
    if (chain.isEmpty()) {
      return new AuthenticationResult.NotApplicable(NAME);
    }
    TrustBundle bundle = trustBundle.get();
    if (bundle == null) {
      return new AuthenticationResult.Unavailable(NAME, "no trust bundle yet");
    }
    try {
      bundle.verify(chain, clock.instant());
    } catch (GeneralSecurityException e) {
      return new AuthenticationResult.Rejected(NAME, "client certificate does not chain to the trust bundle: " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    if (leaf.getBasicConstraints() >= 0) {
      return new AuthenticationResult.Rejected(NAME, "client certificate is a CA certificate");
    }
    SpiffeId id;
    try {
      id = spiffeIdOf(leaf);
    } catch (CertificateParsingException e) {
      return new AuthenticationResult.Rejected(NAME, "client certificate SAN does not parse");
    }
    if (id == null) {
      return new AuthenticationResult.Rejected(NAME, "client certificate has no single spiffe://<td>/ns/<ns>/sa/<sa> URI SAN");
    }
    if (!id.trustDomain().equals(trustDomain)) {
      return new AuthenticationResult.Rejected(NAME, "client certificate trust domain " + id.trustDomain() + " is not " + trustDomain);
    }
    return AuthenticationResult.authenticated(new CallerIdentity(id, NAME));
  }

  /** The certificate's single SPIFFE URI SAN, or null when it has none or several URI SANs. */
  static SpiffeId spiffeIdOf(X509Certificate certificate) throws CertificateParsingException {
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    if (sans == null) {
      return null;
    }
    List<String> uris = sans.stream()
        .filter(san -> ((Integer) san.get(0)) == URI_SAN)
        .map(san -> (String) san.get(1))
        .toList();
    return uris.size() == 1 ? SpiffeId.parse(uris.get(0)).orElse(null) : null;
  }
}
