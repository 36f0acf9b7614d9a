package dev.gatehouse.ca.x509;

import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.TrustBundle;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * Self-signed roots as Istio's self-signed CA makes them (pki/ca/ca.go): subject O=&lt;trust domain&gt;, CA:true,
 * keyCertSign + cRLSign. {@link #reissue} is Istio's GenRootCertFromExistingKey: same subject, same key, new
 * validity, so old and new root verify the same chains. Stateless and thread-safe.
 */
public final class RootCertificateFactory {
  private RootCertificateFactory() {}

  public static X509Certificate selfSigned(KeyPair keyPair, String trustDomain, Instant now, Duration ttl)
      throws GeneralSecurityException {
    return build(new X500Principal("O=" + trustDomain), keyPair.getPublic(), keyPair.getPrivate(), now, ttl);
  }

  public static X509Certificate reissue(X509Certificate root, PrivateKey key, Instant now, Duration ttl)
      throws GeneralSecurityException {
    return build(root.getSubjectX500Principal(), root.getPublicKey(), key, now, ttl);
  }

  /** A CA certificate for {@code subjectKey}, signed by {@code issuer}: used for intermediates (tests, tooling). */
  public static X509Certificate intermediate(
      SigningAuthority issuer, X500Principal subject, PublicKey subjectKey, Instant now, Duration ttl)
      throws GeneralSecurityException {
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuer.signingCertificate().getSubjectX500Principal(), SvidFactory.serial(),
          Date.from(now.minus(SvidFactory.CLOCK_SKEW_GRACE)), Date.from(now.plus(ttl)), subject, subjectKey);
      caExtensions(builder, subjectKey);
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          SvidFactory.authorityKeyIdentifier(issuer.signingCertificate()));
      return SvidFactory.sign(builder, issuer.key());
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot build intermediate certificate", e);
    }
  }

  private static X509Certificate build(X500Principal subject, PublicKey publicKey, PrivateKey key, Instant now, Duration ttl)
      throws GeneralSecurityException {
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          subject, SvidFactory.serial(), Date.from(now.minus(SvidFactory.CLOCK_SKEW_GRACE)), Date.from(now.plus(ttl)),
          subject, publicKey);
      caExtensions(builder, publicKey);
      return SvidFactory.sign(builder, key);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot build root certificate", e);
    }
  }

  private static void caExtensions(X509v3CertificateBuilder builder, PublicKey key)
      throws java.io.IOException, GeneralSecurityException {
    builder
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
        .addExtension(Extension.subjectKeyIdentifier, false, SvidFactory.subjectKeyIdentifier(key));
  }

  /** The signing authority of a self-signed root: the chain is the root alone and the bundle holds it. */
  public static SigningAuthority selfSignedAuthority(PrivateKey key, X509Certificate root, List<X509Certificate> trusted) {
    return new SigningAuthority(key, List.of(root), TrustBundle.of(trusted));
  }
}
