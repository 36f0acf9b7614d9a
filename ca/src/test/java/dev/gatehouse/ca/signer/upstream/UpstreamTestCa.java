package dev.gatehouse.ca.signer.upstream;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The real CA behind the upstream test servers (VaultTestServer, SpireServerTestServer): BouncyCastle, independent of
 * Gatehouse's own certificate code, so a Gatehouse bug cannot hide behind the same bug in its test peer. A root, an
 * optional issuing intermediate below it, and root rotation. Thread-safe (synchronized).
 */
public final class UpstreamTestCa {
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyPair rootKey;
  private X509Certificate root;
  private KeyPair issuerKey;
  private X509Certificate issuer;
  private final boolean withIntermediate;
  private final String name;
  private volatile int issuerPathLength = -1;

  /**
   * @param name subject O of the CA certificates
   * @param withIntermediate sign with an intermediate below the root (as a Vault mount under an imported root)
   */
  public UpstreamTestCa(String name, boolean withIntermediate) {
    this.name = name;
    this.withIntermediate = withIntermediate;
    rotate();
  }

  /** A new root (and issuer) replaces the current one, as a Vault default-issuer change or a SPIRE CA rotation. */
  public synchronized void rotate() {
    Instant now = Instant.now();
    rootKey = ec();
    root = build(rootKey.getPublic(), "O=" + name + ",CN=" + name + " root " + RANDOM.nextInt(10000), rootKey, null,
        now.minusSeconds(60), now.plus(Duration.ofDays(365)), true, -1, List.of(), List.of());
    if (withIntermediate) {
      issuerKey = ec();
      issuer = build(issuerKey.getPublic(), "O=" + name + ",CN=" + name + " issuing CA", rootKey, root,
          now.minusSeconds(60), now.plus(Duration.ofDays(180)), true, issuerPathLength, List.of(), List.of());
    } else {
      issuerKey = rootKey;
      issuer = root;
    }
  }

  /** Re-issues the issuing CA with {@code pathLen} (0: it may not sign further CAs). */
  public synchronized void constrainIssuer(int pathLength) {
    issuerPathLength = pathLength;
    rotate();
  }

  public synchronized X509Certificate root() {
    return root;
  }

  /** The issuing chain above leaves, issuing CA first, root last. */
  public synchronized List<X509Certificate> chain() {
    return withIntermediate ? List.of(issuer, root) : List.of(root);
  }

  public synchronized X509Certificate leaf(PublicKey key, String commonName, List<String> uris, List<String> dnsNames,
      Duration ttl) {
    Instant now = Instant.now();
    Instant notAfter = min(now.plus(ttl), issuer.getNotAfter().toInstant());
    return build(key, commonName == null || commonName.isEmpty() ? "" : "CN=" + commonName, issuerKey, issuer,
        now.minusSeconds(30), notAfter, false, -1, uris, dnsNames);
  }

  public synchronized X509Certificate intermediate(PublicKey key, String subject, List<String> uris, Duration ttl,
      int pathLength) {
    Instant now = Instant.now();
    Instant notAfter = min(now.plus(ttl), issuer.getNotAfter().toInstant());
    return build(key, subject, issuerKey, issuer, now.minusSeconds(30), notAfter, true, pathLength, uris, List.of());
  }

  /** A certificate for {@code key} from a CA nobody trusts (the "chain not to the bundle" fault). */
  public static X509Certificate foreignLeaf(PublicKey key, List<String> uris) {
    KeyPair foreignKey = ec();
    Instant now = Instant.now();
    X509Certificate foreignRoot = build(foreignKey.getPublic(), "O=foreign,CN=foreign root", foreignKey, null,
        now.minusSeconds(60), now.plus(Duration.ofDays(1)), true, -1, List.of(), List.of());
    return build(key, "", foreignKey, foreignRoot, now.minusSeconds(30), now.plus(Duration.ofHours(1)), false, -1, uris,
        List.of());
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static X509Certificate build(PublicKey key, String subject, KeyPair signer, X509Certificate signerCert,
      Instant notBefore, Instant notAfter, boolean ca, int pathLength, List<String> uris, List<String> dnsNames) {
    try {
      X500Name subjectName = new X500Name(subject);
      X500Name issuerName = signerCert == null ? subjectName
          : X500Name.getInstance(signerCert.getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(127, RANDOM).add(BigInteger.ONE),
          Date.from(notBefore), Date.from(notAfter), subjectName, key);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
      builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(
          signerCert == null ? key : signerCert.getPublicKey()));
      if (ca) {
        builder.addExtension(Extension.basicConstraints, true, pathLength >= 0 ? new BasicConstraints(pathLength) : new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      } else {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      List<GeneralName> names = new ArrayList<>();
      uris.forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
      dnsNames.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, subject.isEmpty(), new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException("test CA cannot build a certificate: " + e.getMessage(), e);
    }
  }
}
