package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.upstream.UpstreamAuthority.UpstreamChain;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks an upstream's answer before Gatehouse uses it, because an upstream that is misconfigured (a Vault role that
 * copies CSR SANs, a SPIRE entry for another ID) or compromised must not hand a workload a certificate the CA did not
 * decide: the issued certificate is for the requested key, names exactly the requested identity, has the right
 * CA flag, is valid now, and its chain verifies with PKIX to the upstream's trust bundle. Static and pure.
 */
public final class UpstreamAnswers {
  private static final int URI = 6;
  private static final int DNS = 2;

  private UpstreamAnswers() {}

  /**
   * A workload leaf: returns the chain to hand out, leaf first and the trust anchor last.
   *
   * @throws UpstreamException {@code INVALID_ANSWER} with the reason when anything does not check out
   */
  public static List<X509Certificate> verifyLeaf(UpstreamChain answer, SigningRequest request, TrustBundle bundle,
      Instant now) throws UpstreamException {
    X509Certificate leaf = first(answer);
    requireKey(leaf, request.publicKey());
    if (leaf.getBasicConstraints() >= 0) {
      throw invalid("the upstream issued a CA certificate for a workload");
    }
    List<String> uris = sans(leaf, URI);
    if (!uris.equals(List.of(request.identity().toString()))) {
      throw invalid("the issued certificate names " + uris + ", expected exactly " + request.identity());
    }
    Set<String> dns = new HashSet<>(sans(leaf, DNS));
    if (!dns.equals(new HashSet<>(request.dnsNames()))) {
      throw invalid("the issued certificate carries DNS names " + dns + ", expected " + request.dnsNames());
    }
    if (sansOfOtherTypes(leaf)) {
      throw invalid("the issued certificate carries IP, email or other SANs");
    }
    return verifiedChain(answer.chain(), bundle, now);
  }

  /**
   * An intermediate for Gatehouse: returns local signing material (our key, the verified chain up to the anchor, and
   * {@code bundle} as the trust bundle).
   */
  public static SigningAuthority verifyIntermediate(UpstreamChain answer, KeyPair key, TrustBundle bundle, Instant now)
      throws UpstreamException {
    X509Certificate ca = first(answer);
    requireKey(ca, key.getPublic());
    if (ca.getBasicConstraints() < 0) {
      throw invalid("the upstream issued a certificate that is not a CA (basicConstraints CA:false)");
    }
    boolean[] usage = ca.getKeyUsage();
    if (usage != null && (usage.length < 6 || !usage[5])) {
      throw invalid("the issued intermediate may not sign certificates (keyUsage without keyCertSign)");
    }
    List<X509Certificate> chain = verifiedChain(answer.chain(), bundle, now);
    // PKIX accepts a CA as the end of a path even under pathLen 0; Gatehouse will sign leaves below it, so every CA
    // above must allow one more level (certificate i has i CA certificates below it once a leaf is added).
    for (int i = 1; i < chain.size(); i++) {
      int pathLength = chain.get(i).getBasicConstraints();
      if (pathLength >= 0 && pathLength < i && !selfIssued(chain.get(i))) {
        throw invalid("the upstream chain does not allow Gatehouse's intermediate to sign: "
            + chain.get(i).getSubjectX500Principal().getName() + " has pathLen " + pathLength);
      }
    }
    return new SigningAuthority(key.getPrivate(), chain, bundle);
  }

  /**
   * Roots as published by an upstream: at least one, each a CA certificate valid now.
   */
  public static TrustBundle verifyRoots(List<X509Certificate> roots, Instant now) throws UpstreamException {
    if (roots.isEmpty()) {
      throw invalid("the upstream returned no trust anchors");
    }
    for (X509Certificate root : roots) {
      if (root.getBasicConstraints() < 0) {
        throw invalid("trust anchor " + root.getSubjectX500Principal().getName() + " is not a CA certificate");
      }
      if (!now.isBefore(root.getNotAfter().toInstant())) {
        throw invalid("trust anchor " + root.getSubjectX500Principal().getName() + " expired at "
            + root.getNotAfter().toInstant());
      }
    }
    return TrustBundle.of(roots);
  }

  private static List<X509Certificate> verifiedChain(List<X509Certificate> chain, TrustBundle bundle, Instant now)
      throws UpstreamException {
    X509Certificate issued = chain.get(0);
    if (now.isBefore(issued.getNotBefore().toInstant().minusSeconds(300)) || !now.isBefore(issued.getNotAfter().toInstant())) {
      throw invalid("the issued certificate is not valid now (" + issued.getNotBefore().toInstant() + " to "
          + issued.getNotAfter().toInstant() + ")");
    }
    X509Certificate anchor;
    try {
      anchor = bundle.verify(chain, now);
    } catch (GeneralSecurityException e) {
      throw invalid("the issued chain does not verify to the upstream's trust bundle: " + e.getMessage());
    }
    List<X509Certificate> out = new ArrayList<>();
    for (X509Certificate c : chain) {
      if (!bundle.contains(c)) {
        out.add(c);
      }
    }
    out.add(anchor);
    return List.copyOf(out);
  }

  private static boolean selfIssued(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
  }

  private static X509Certificate first(UpstreamChain answer) throws UpstreamException {
    if (answer == null || answer.chain().isEmpty()) {
      throw invalid("the upstream returned no certificate");
    }
    return answer.chain().get(0);
  }

  private static void requireKey(X509Certificate issued, PublicKey expected) throws UpstreamException {
    if (!Arrays.equals(issued.getPublicKey().getEncoded(), expected.getEncoded())) {
      throw invalid("the issued certificate is for another key than the one in the CSR");
    }
  }

  static List<String> sans(X509Certificate certificate, int type) throws UpstreamException {
    List<String> out = new ArrayList<>();
    for (List<?> san : allSans(certificate)) {
      if (Integer.valueOf(type).equals(san.get(0))) {
        out.add(String.valueOf(san.get(1)));
      }
    }
    return out;
  }

  private static boolean sansOfOtherTypes(X509Certificate certificate) throws UpstreamException {
    for (List<?> san : allSans(certificate)) {
      Object type = san.get(0);
      if (!Integer.valueOf(URI).equals(type) && !Integer.valueOf(DNS).equals(type)) {
        return true;
      }
    }
    return false;
  }

  private static Collection<List<?>> allSans(X509Certificate certificate) throws UpstreamException {
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      return sans == null ? List.of() : sans;
    } catch (CertificateParsingException e) {
      throw invalid("the issued certificate's SAN extension does not parse");
    }
  }

  private static UpstreamException invalid(String message) {
    return new UpstreamException(UpstreamException.Kind.INVALID_ANSWER, message);
  }
}
