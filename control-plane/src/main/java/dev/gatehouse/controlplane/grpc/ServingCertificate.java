package dev.gatehouse.controlplane.grpc;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.CaKeys;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gatehouse's own TLS certificate for its gRPC ports, issued by its own CA (as istiod's DNS certificate is): the
 * control plane's SPIFFE identity plus DNS names agents dial ({@code istiod.istio-system.svc} by default). Renewed
 * at half its lifetime, or as soon as the CA's signing certificate changes, by swapping the material in the
 * {@link ServingKeyManager}. Thread-safe: {@link #renewIfDue} is synchronized.
 */
public final class ServingCertificate {
  private static final Logger log = LoggerFactory.getLogger(ServingCertificate.class);

  private final CertificateSigner signer;
  private final SpiffeId identity;
  private final List<String> dnsNames;
  private final Duration ttl;
  private final Clock clock;
  private final ServingKeyManager keyManager;
  private X509Certificate issuedUnder;
  private X509Certificate issuedRoot;

  public ServingCertificate(CertificateSigner signer, SpiffeId identity, List<String> dnsNames, Duration ttl, Clock clock,
      ServingKeyManager keyManager) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.dnsNames = List.copyOf(dnsNames);
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.keyManager = Objects.requireNonNull(keyManager, "keyManager");
  }

  public List<String> dnsNames() {
    return dnsNames;
  }

  /** Issues a new certificate if there is none, half its life has passed, or the CA's signing certificate changed. */
  public synchronized boolean renewIfDue() {
    X509Certificate current = keyManager.currentCertificate();
    List<X509Certificate> signingChain = signer.signingChain();
    if (signingChain.isEmpty()) {
      return false;
    }
    Instant now = clock.instant();
    TrustBundle bundle = signer.trustBundle();
    boolean due = current == null
        || !signingChain.get(0).equals(issuedUnder)
        // An upstream CA (leaf mode) changes issuers without a signing chain of ours to compare: a root that left
        // the trust bundle means agents will stop trusting this certificate.
        || bundle != null && issuedRoot != null && !bundle.contains(issuedRoot)
        || !now.isBefore(halfLife(current));
    if (!due) {
      return false;
    }
    KeyPair key = CaKeys.generate(CaKeys.Algorithm.EC_P256);
    List<X509Certificate> chain = signer.sign(new SigningRequest(identity, key.getPublic(), csr(key), ttl, dnsNames));
    keyManager.update(key.getPrivate(), chain);
    // Re-read: an upstream signer in leaf mode learns its issuing chain from the answer to this very request.
    List<X509Certificate> after = signer.signingChain();
    issuedUnder = after.isEmpty() ? signingChain.get(0) : after.get(0);
    issuedRoot = chain.get(chain.size() - 1);
    log.info("gRPC serving certificate issued for {} {}, expires {}", identity, dnsNames, chain.get(0).getNotAfter().toInstant());
    return true;
  }

  /** A real CSR, for signers that forward it upstream (Vault, SPIRE); the local signers ignore it. */
  private PKCS10CertificationRequest csr(KeyPair key) {
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      List<GeneralName> names = new ArrayList<>();
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString()));
      dnsNames.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
      extensions.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names.toArray(GeneralName[]::new)));
      return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), key.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder(CaKeys.signatureAlgorithm(key.getPrivate())).build(key.getPrivate()));
    } catch (java.io.IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build the serving certificate's CSR", e);
    }
  }

  private static Instant halfLife(X509Certificate certificate) {
    long notBefore = certificate.getNotBefore().getTime();
    long notAfter = certificate.getNotAfter().getTime();
    return Instant.ofEpochMilli(notBefore + (notAfter - notBefore) / 2);
  }
}
