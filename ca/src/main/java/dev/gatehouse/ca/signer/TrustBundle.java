package dev.gatehouse.ca.signer;

import dev.gatehouse.ca.pem.PemCodec;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The roots workloads trust: what is published as {@code root-cert.pem}. Immutable and thread-safe; equality is
 * by the root certificates.
 */
public final class TrustBundle {
  private final List<X509Certificate> roots;
  private final Set<TrustAnchor> anchors;
  private final String pem;

  private TrustBundle(List<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("a trust bundle needs at least one root");
    }
    this.roots = List.copyOf(new LinkedHashSet<>(roots));
    Set<TrustAnchor> set = new LinkedHashSet<>();
    this.roots.forEach(r -> set.add(new TrustAnchor(r, null)));
    this.anchors = Set.copyOf(set);
    this.pem = PemCodec.encodeCertificates(this.roots);
  }

  public static TrustBundle of(List<X509Certificate> roots) {
    return new TrustBundle(roots);
  }

  public List<X509Certificate> roots() {
    return roots;
  }

  public Set<TrustAnchor> trustAnchors() {
    return anchors;
  }

  /** Concatenated PEM, one block per root, each ending in a newline. */
  public String pem() {
    return pem;
  }

  public boolean contains(X509Certificate certificate) {
    return roots.contains(certificate);
  }

  public boolean containsAll(TrustBundle other) {
    return roots.containsAll(other.roots);
  }

  /** The earliest root expiry, for {@code citadel_server_root_cert_expiry_timestamp}. */
  public Instant earliestExpiry() {
    return roots.stream().map(r -> r.getNotAfter().toInstant()).min(Comparator.naturalOrder()).orElseThrow();
  }

  /**
   * PKIX-validates {@code chain} (leaf first; a trailing root that is in this bundle may be included) to one of
   * these roots at {@code at}, without revocation checks. Returns the anchor the chain ends in.
   *
   * @throws GeneralSecurityException with the JDK validator's reason when the chain does not verify
   */
  public X509Certificate verify(List<X509Certificate> chain, Instant at) throws GeneralSecurityException {
    if (chain.isEmpty()) {
      throw new GeneralSecurityException("empty certificate chain");
    }
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && roots.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    if (path.size() == 1 && roots.contains(path.get(0))) {
      return path.get(0);
    }
    CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
    PKIXParameters parameters = new PKIXParameters(anchors);
    parameters.setRevocationEnabled(false);
    parameters.setDate(Date.from(at));
    PKIXCertPathValidatorResult result =
        (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
    return result.getTrustAnchor().getTrustedCert();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustBundle other && roots.equals(other.roots);
  }

  @Override
  public int hashCode() {
    return roots.hashCode();
  }

  @Override
  public String toString() {
    return "TrustBundle" + roots.stream().map(r -> r.getSubjectX500Principal().getName()).toList();
  }
}
