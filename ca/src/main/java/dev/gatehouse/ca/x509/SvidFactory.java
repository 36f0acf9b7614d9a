package dev.gatehouse.ca.x509;

import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.IssuedChain;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.jcajce.io.OutputStreamFactory;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * Builds X.509-SVIDs the way Istio's genCertTemplateFromCSR does (pki/util/generate_cert.go), tightened to the
 * SPIFFE X.509-SVID profile: empty subject with a critical SAN extension holding exactly one URI (plus DNS names
 * only for Gatehouse's own serving certificate), KeyUsage digitalSignature (+ keyEncipherment for RSA keys),
 * ExtKeyUsage serverAuth + clientAuth, CA:false, SKI/AKI, 128-bit random serial, NotBefore = now - 2 min,
 * NotAfter = now + TTL clamped to the signing certificate's NotAfter. Signs with {@link CaCrypto}'s provider.
 *
 * <p>What every leaf of one signing authority shares (issuer name, AKI, signature algorithm, the chain's PEM) is
 * derived once per authority, and the validity times once per second: at thousands of certificates per second
 * this work, not the signature, was most of the cost of a leaf (CaBenchmark, JFR). Thread-safe.
 */
public final class SvidFactory {
  /** Istio's ClockSkewGracePeriod. */
  public static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final JcaX509CertificateConverter CONVERTER = new JcaX509CertificateConverter();
  private static final X500Name EMPTY_SUBJECT = new X500Name(new RDN[0]);
  private static final Extension KEY_USAGE_EC = extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
  private static final Extension KEY_USAGE_RSA = extension(Extension.keyUsage, true,
      new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
  private static final Extension EXTENDED_KEY_USAGE = extension(Extension.extendedKeyUsage, false,
      new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
  private static final Extension NOT_A_CA = extension(Extension.basicConstraints, true, new BasicConstraints(false));

  /** The signing authority whose leaves were issued last, with what they share; replaced when the authority is. */
  private static volatile Issuer lastIssuer;
  private static volatile EncodedTime lastNotBefore;
  private static volatile EncodedTime lastNotAfter;

  private record Issuer(SigningAuthority authority, X500Name name, Instant notAfter, Extension authorityKeyIdentifier,
      String signatureAlgorithm, AlgorithmIdentifier signatureAlgorithmId, byte[] signatureAlgorithmDer,
      List<String> chainPem) {}

  private record EncodedTime(long epochSecond, Time time) {}

  private SvidFactory() {}

  /** Signs {@code request} with {@code authority} and returns the chain, leaf first and root last. */
  public static List<X509Certificate> issue(SigningAuthority authority, SigningRequest request, Instant now)
      throws GeneralSecurityException {
    return issue(authority, request, now, CaCrypto.active());
  }

  /** As {@link #issue(SigningAuthority, SigningRequest, Instant)}, signing with {@code crypto}'s provider. */
  public static List<X509Certificate> issue(SigningAuthority authority, SigningRequest request, Instant now, CaCrypto crypto)
      throws GeneralSecurityException {
    return encode(authority, request, now, crypto).certificates();
  }

  /** Signs {@code request} and returns the leaf encoded, without parsing it back (the CSR endpoint's form). */
  public static IssuedChain encode(SigningAuthority authority, SigningRequest request, Instant now)
      throws GeneralSecurityException {
    return encode(authority, request, now, CaCrypto.active());
  }

  public static IssuedChain encode(SigningAuthority authority, SigningRequest request, Instant now, CaCrypto crypto)
      throws GeneralSecurityException {
    Issuer issuer = issuer(authority);
    Instant notAfter = now.plus(request.ttl());
    if (notAfter.isAfter(issuer.notAfter())) {
      notAfter = issuer.notAfter();
    }
    notAfter = notAfter.truncatedTo(ChronoUnit.SECONDS); // what the certificate holds
    BigInteger serial = serial();
    PublicKey publicKey = request.publicKey();
    // Re-encoded from the parsed key, never copied from the CSR: a CSR may carry a compressed EC point, which
    // some TLS stacks (Go's crypto/x509) refuse in a certificate.
    SubjectPublicKeyInfo subjectKey = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded());
    GeneralName[] names = new GeneralName[1 + request.dnsNames().size()];
    names[0] = new GeneralName(GeneralName.uniformResourceIdentifier, request.identity().toString());
    for (int i = 0; i < request.dnsNames().size(); i++) {
      names[i + 1] = new GeneralName(GeneralName.dNSName, request.dnsNames().get(i));
    }
    try {
      V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
      tbs.setSerialNumber(new ASN1Integer(serial));
      tbs.setSignature(issuer.signatureAlgorithmId());
      tbs.setIssuer(issuer.name());
      tbs.setStartDate(notBefore(now.minus(CLOCK_SKEW_GRACE)));
      tbs.setEndDate(notAfter(notAfter));
      tbs.setSubject(EMPTY_SUBJECT);
      tbs.setSubjectPublicKeyInfo(subjectKey);
      tbs.setExtensions(new Extensions(new Extension[] {
          extension(Extension.subjectAlternativeName, true, new GeneralNames(names)),
          publicKey instanceof RSAPublicKey ? KEY_USAGE_RSA : KEY_USAGE_EC,
          EXTENDED_KEY_USAGE,
          NOT_A_CA,
          extension(Extension.subjectKeyIdentifier, false, subjectKeyIdentifier(subjectKey)),
          issuer.authorityKeyIdentifier()}));
      byte[] tbsDer = tbs.generateTBSCertificate().getEncoded(ASN1Encoding.DER);
      Signature signature = crypto.threadSignature(issuer.signatureAlgorithm());
      signature.initSign(crypto.signingKey(authority.key()));
      signature.update(tbsDer);
      return new IssuedChain(certificate(tbsDer, issuer.signatureAlgorithmDer(), signature.sign()), serial, notAfter,
          authority.chain(), issuer.chainPem());
    } catch (IOException | IllegalArgumentException e) {
      throw new GeneralSecurityException("cannot build certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The leaf as X.509 encodes it (RFC 5280 §4.1: SEQUENCE of the TBSCertificate, the signature algorithm and the
   * signature as a BIT STRING), assembled from the TBSCertificate bytes that were signed. BouncyCastle's
   * X509v3CertificateBuilder, used before, encodes the TBSCertificate twice (once to sign it, once more inside the
   * certificate); its output is the same DER (tested: SvidFactoryTest).
   */
  private static byte[] certificate(byte[] tbs, byte[] algorithm, byte[] signature) {
    int bitString = 1 + signature.length;
    int contents = tbs.length + algorithm.length + headerLength(bitString) + bitString;
    byte[] der = new byte[headerLength(contents) + contents];
    int at = header(der, 0, 0x30, contents);
    System.arraycopy(tbs, 0, der, at, tbs.length);
    at += tbs.length;
    System.arraycopy(algorithm, 0, der, at, algorithm.length);
    at += algorithm.length;
    at = header(der, at, 0x03, bitString);
    der[at++] = 0; // no unused bits
    System.arraycopy(signature, 0, der, at, signature.length);
    return der;
  }

  private static int headerLength(int length) {
    return length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 5;
  }

  /** A DER tag and definite length at {@code at}; returns where the contents start. */
  private static int header(byte[] der, int at, int tag, int length) {
    der[at++] = (byte) tag;
    if (length < 0x80) {
      der[at++] = (byte) length;
      return at;
    }
    int bytes = headerLength(length) - 2;
    der[at++] = (byte) (0x80 | bytes);
    for (int i = bytes - 1; i >= 0; i--) {
      der[at++] = (byte) (length >>> (8 * i));
    }
    return at;
  }

  private static Issuer issuer(SigningAuthority authority) throws GeneralSecurityException {
    Issuer last = lastIssuer;
    if (last != null && last.authority() == authority) {
      return last;
    }
    X509Certificate certificate = authority.signingCertificate();
    String algorithm = CaKeys.signatureAlgorithm(authority.key());
    AlgorithmIdentifier algorithmId = new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm);
    byte[] algorithmDer;
    try {
      algorithmDer = algorithmId.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot encode signature algorithm " + algorithm, e);
    }
    Issuer issuer = new Issuer(authority,
        X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
        certificate.getNotAfter().toInstant(),
        extension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(certificate)),
        algorithm,
        algorithmId,
        algorithmDer,
        authority.chain().stream().map(PemCodec::encodeCertificate).toList());
    lastIssuer = issuer;
    return issuer;
  }

  private static Time notBefore(Instant instant) {
    EncodedTime last = lastNotBefore;
    if (last != null && last.epochSecond() == instant.getEpochSecond()) {
      return last.time();
    }
    EncodedTime fresh = new EncodedTime(instant.getEpochSecond(), new Time(Date.from(instant)));
    lastNotBefore = fresh;
    return fresh.time();
  }

  private static Time notAfter(Instant instant) {
    EncodedTime last = lastNotAfter;
    if (last != null && last.epochSecond() == instant.getEpochSecond()) {
      return last.time();
    }
    EncodedTime fresh = new EncodedTime(instant.getEpochSecond(), new Time(Date.from(instant)));
    lastNotAfter = fresh;
    return fresh.time();
  }

  /** Roots and intermediates ({@link RootCertificateFactory}): built rarely, through BouncyCastle's JCA builder. */
  static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
    CaCrypto crypto = CaCrypto.active();
    String algorithm = CaKeys.signatureAlgorithm(key);
    try {
      X509CertificateHolder holder = builder.build(
          new JcaSigner(crypto, algorithm, new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm), key));
      return CONVERTER.getCertificate(holder);
    } catch (RuntimeOperatorException e) {
      throw new GeneralSecurityException("cannot sign certificate: " + e.getMessage(), e);
    }
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

  /** RFC 5280 §4.2.1.2 method (1), as BouncyCastle's X509ExtensionUtils computes it: SHA-1 of the key's bit string. */
  private static SubjectKeyIdentifier subjectKeyIdentifier(SubjectPublicKeyInfo key) {
    byte[] bits = key.getPublicKeyData().getBytes();
    SHA1Digest sha1 = new SHA1Digest();
    sha1.update(bits, 0, bits.length);
    byte[] id = new byte[sha1.getDigestSize()];
    sha1.doFinal(id, 0);
    return new SubjectKeyIdentifier(id);
  }

  /** 128 random bits, positive and non-zero (RFC 5280 §4.1.2.2). */
  static BigInteger serial() {
    BigInteger serial;
    do {
      serial = new BigInteger(128, RANDOM);
    } while (serial.signum() == 0);
    return serial;
  }

  private static Extension extension(org.bouncycastle.asn1.ASN1ObjectIdentifier oid, boolean critical,
      org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      return new Extension(oid, critical, new DEROctetString(value.toASN1Primitive().getEncoded(ASN1Encoding.DER)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode extension " + oid, e);
    }
  }

  /**
   * A BouncyCastle {@link ContentSigner} over a JCA {@link Signature} of the CA crypto provider, with the algorithm
   * identifier looked up once per authority (BouncyCastle's JcaContentSignerBuilder looks it up on every build).
   * One per certificate: not thread-safe.
   */
  private static final class JcaSigner implements ContentSigner {
    private final AlgorithmIdentifier algorithmId;
    private final Signature signature;
    private final OutputStream stream;

    JcaSigner(CaCrypto crypto, String algorithm, AlgorithmIdentifier algorithmId, PrivateKey key) throws GeneralSecurityException {
      this.algorithmId = algorithmId;
      this.signature = crypto.threadSignature(algorithm);
      this.signature.initSign(crypto.signingKey(key));
      this.stream = OutputStreamFactory.createStream(signature);
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
      return algorithmId;
    }

    @Override
    public OutputStream getOutputStream() {
      return stream;
    }

    @Override
    public byte[] getSignature() {
      try {
        return signature.sign();
      } catch (SignatureException e) {
        throw new RuntimeOperatorException("signing failed: " + e.getMessage(), e);
      }
    }
  }
}
