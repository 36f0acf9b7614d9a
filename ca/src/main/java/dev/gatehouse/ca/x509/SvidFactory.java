package dev.gatehouse.ca.x509;

import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds X.509-SVIDs the way Istio's genCertTemplateFromCSR does (pki/util/generate_cert.go), tightened to the
 * SPIFFE X.509-SVID profile: empty subject with a critical SAN extension holding exactly one URI (plus DNS names
 * only for Gatehouse's own serving certificate), KeyUsage digitalSignature (+ keyEncipherment for RSA keys),
 * ExtKeyUsage serverAuth + clientAuth, CA:false, SKI/AKI, 128-bit random serial, NotBefore = now - 2 min,
 * NotAfter = now + TTL clamped to the signing certificate's NotAfter. Stateless and thread-safe.
 */
public final class SvidFactory {
  /** Istio's ClockSkewGracePeriod. */
  public static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final JcaX509CertificateConverter CONVERTER = new JcaX509CertificateConverter();

  private SvidFactory() {}

  /** Signs {@code request} with {@code authority} and returns the chain, leaf first and root last. */
  public static List<X509Certificate> issue(SigningAuthority authority, SigningRequest request, Instant now)
      throws GeneralSecurityException {
    X509Certificate issuer = authority.signingCertificate();
    Instant notAfter = now.plus(request.ttl());
    Instant issuerNotAfter = issuer.getNotAfter().toInstant();
    if (notAfter.isAfter(issuerNotAfter)) {
      notAfter = issuerNotAfter;
    }
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuer,
          serial(),
          Date.from(now.minus(CLOCK_SKEW_GRACE)),
          Date.from(notAfter),
          new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
          request.publicKey());
      List<GeneralName> names = new ArrayList<>();
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, request.identity().toString()));
      request.dnsNames().forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
      JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
      builder
          .addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names.toArray(GeneralName[]::new)))
          .addExtension(Extension.keyUsage, true, new KeyUsage(request.publicKey() instanceof RSAPublicKey
              ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
              : KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.subjectKeyIdentifier, false, extensionUtils.createSubjectKeyIdentifier(request.publicKey()))
          .addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(issuer));
      X509Certificate leaf = sign(builder, authority.key());
      List<X509Certificate> chain = new ArrayList<>(authority.chain().size() + 1);
      chain.add(leaf);
      chain.addAll(authority.chain());
      return List.copyOf(chain);
    } catch (org.bouncycastle.operator.OperatorCreationException | java.io.IOException e) {
      throw new GeneralSecurityException("cannot build certificate: " + e.getMessage(), e);
    }
  }

  static X509Certificate sign(X509v3CertificateBuilder builder, java.security.PrivateKey key)
      throws org.bouncycastle.operator.OperatorCreationException, GeneralSecurityException {
    ContentSigner signer = new JcaContentSignerBuilder(CaKeys.signatureAlgorithm(key)).build(key);
    X509CertificateHolder holder = builder.build(signer);
    return CONVERTER.getCertificate(holder);
  }

  /**
   * Key identifier only (no issuer name/serial): a root re-issued with the same key keeps verifying every leaf
   * signed under the previous root certificate.
   */
  static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate issuer) throws GeneralSecurityException {
    byte[] ski = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ski != null) {
      byte[] keyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(ski).getOctets()).getOctets();
      return new AuthorityKeyIdentifier(keyId);
    }
    return new AuthorityKeyIdentifier(subjectKeyIdentifier(issuer.getPublicKey()).getKeyIdentifier());
  }

  static SubjectKeyIdentifier subjectKeyIdentifier(PublicKey key) throws GeneralSecurityException {
    return new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key);
  }

  /** 128 random bits, positive and non-zero (RFC 5280 §4.1.2.2). */
  static BigInteger serial() {
    BigInteger serial;
    do {
      serial = new BigInteger(128, RANDOM);
    } while (serial.signum() == 0);
    return serial;
  }
}
