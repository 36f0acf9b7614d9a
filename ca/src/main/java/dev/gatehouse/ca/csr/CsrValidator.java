package dev.gatehouse.ca.csr;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Checks a PEM CSR before anything is signed: size, PEM, proof of possession (the CSR's signature verifies with
 * its own key), key type (ECDSA P-256/P-384 or RSA 2048..8192), requested extensions, and — under
 * {@link SanPolicy#STRICT} — that every requested SAN is the caller's own SPIFFE identity. Stateless and
 * thread-safe; each refusal is a {@link CaException} whose message names the reason.
 */
public final class CsrValidator {
  /** Istio agents send a few hundred bytes; 64 KiB bounds the parser's work. */
  public static final int MAX_CSR_BYTES = 64 * 1024;

  private static final Set<ASN1ObjectIdentifier> ALLOWED_EXTENSIONS = Set.of(
      Extension.subjectAlternativeName,
      Extension.keyUsage,
      Extension.extendedKeyUsage,
      Extension.basicConstraints,
      Extension.subjectKeyIdentifier);

  private static final Set<ASN1ObjectIdentifier> ALLOWED_SIGNATURES = Set.of(
      X9ObjectIdentifiers.ecdsa_with_SHA256,
      X9ObjectIdentifiers.ecdsa_with_SHA384,
      X9ObjectIdentifiers.ecdsa_with_SHA512,
      PKCSObjectIdentifiers.sha256WithRSAEncryption,
      PKCSObjectIdentifiers.sha384WithRSAEncryption,
      PKCSObjectIdentifiers.sha512WithRSAEncryption,
      PKCSObjectIdentifiers.id_RSASSA_PSS);

  private static final Map<ASN1ObjectIdentifier, String> JCA_SIGNATURES = Map.of(
      X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
      X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
      X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA",
      PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
      PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
      PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA");

  private final SanPolicy sanPolicy;
  private final CaCrypto crypto;

  /** With the process's CA crypto provider ({@link CaCrypto#active()}). */
  public CsrValidator(SanPolicy sanPolicy) {
    this(sanPolicy, CaCrypto.active());
  }

  public CsrValidator(SanPolicy sanPolicy, CaCrypto crypto) {
    this.sanPolicy = Objects.requireNonNull(sanPolicy, "sanPolicy");
    this.crypto = Objects.requireNonNull(crypto, "crypto");
  }

  public SanPolicy sanPolicy() {
    return sanPolicy;
  }

  /** Validates {@code csrPem} for a caller proven to be {@code caller}. */
  public ValidatedCsr validate(String csrPem, SpiffeId caller) {
    if (csrPem == null || csrPem.isBlank()) {
      throw invalid("CSR is empty");
    }
    // A UTF-8 character is at most 3 bytes: only a long string needs encoding to know its size.
    if (csrPem.length() > MAX_CSR_BYTES
        || (csrPem.length() > MAX_CSR_BYTES / 3 && csrPem.getBytes(StandardCharsets.UTF_8).length > MAX_CSR_BYTES)) {
      throw invalid("CSR is larger than " + MAX_CSR_BYTES + " bytes");
    }
    PKCS10CertificationRequest csr;
    byte[] der;
    try {
      PemCodec.CertificationRequestBlock block = PemCodec.decodeCertificationRequestBlock(csrPem);
      csr = block.request();
      der = block.der();
    } catch (PemCodec.PemException e) {
      throw invalid(e.getMessage());
    }
    int[] info = certificationRequestInfo(der);
    PublicKey key;
    try {
      key = publicKey(csr, der, info);
    } catch (Exception e) {
      throw invalid("CSR public key does not parse");
    }
    ValidatedCsr.KeyKind kind = keyKind(key, csr.getSubjectPublicKeyInfo().getAlgorithm());
    AlgorithmIdentifier signatureAlgorithm = csr.getSignatureAlgorithm();
    if (!ALLOWED_SIGNATURES.contains(signatureAlgorithm.getAlgorithm())) {
      throw invalid("CSR signature algorithm " + signatureAlgorithm.getAlgorithm() + " is not allowed (SHA-256 or stronger)");
    }
    boolean possession;
    try {
      possession = verifiesWithOwnKey(csr, der, info, key, signatureAlgorithm);
    } catch (Exception e) {
      possession = false;
    }
    if (!possession) {
      throw invalid("CSR signature does not verify with its public key (no proof of possession)");
    }
    checkAttributes(csr, caller);
    return new ValidatedCsr(csr, key, kind);
  }

  /** The CSR's key as the CA crypto provider's own key object, so the verify and the certificate use it as is. */
  private PublicKey publicKey(PKCS10CertificationRequest csr, byte[] der, int[] requestInfo) throws Exception {
    SubjectPublicKeyInfo info = csr.getSubjectPublicKeyInfo();
    ASN1ObjectIdentifier algorithm = info.getAlgorithm().getAlgorithm();
    String keyAlgorithm = X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm) ? "EC"
        : PKCSObjectIdentifiers.rsaEncryption.equals(algorithm) ? "RSA"
        : null;
    if (keyAlgorithm == null) {
      // Not a key type the CA signs for: let the JDK name it for the refusal in keyKind.
      return new JcaPKCS10CertificationRequest(csr).getPublicKey();
    }
    int[] spki = requestInfo == null ? null : subjectPublicKeyInfo(der, requestInfo);
    return crypto.publicKey(keyAlgorithm, spki != null
        ? Arrays.copyOfRange(der, spki[0], spki[1])
        : info.getEncoded(ASN1Encoding.DER));
  }

  /**
   * Where the CertificationRequestInfo lies in the CSR's DER ({start, end}), or null when the outer structure is not
   * plain definite-length DER (then it is re-encoded). The proof of possession is checked over these bytes as sent, as
   * Go's {@code CertificateRequest.CheckSignature} (Istio's CA) does with {@code RawTBSCertificateRequest}, instead of
   * over BouncyCastle's re-encoding of the parsed structure.
   */
  private static int[] certificationRequestInfo(byte[] der) {
    int[] outer = tlv(der, 0, der.length);
    if (outer == null || der[0] != 0x30) {
      return null;
    }
    int[] info = tlv(der, outer[0], outer[1]);
    return info == null || der[outer[0]] != 0x30 ? null : new int[] {outer[0], info[1]};
  }

  /** The SubjectPublicKeyInfo's bytes inside the CertificationRequestInfo: after the version and the subject. */
  private static int[] subjectPublicKeyInfo(byte[] der, int[] requestInfo) {
    int[] info = tlv(der, requestInfo[0], requestInfo[1]);
    if (info == null) {
      return null;
    }
    int[] version = tlv(der, info[0], requestInfo[1]);
    int[] subject = version == null ? null : tlv(der, version[1], requestInfo[1]);
    int[] spki = subject == null ? null : tlv(der, subject[1], requestInfo[1]);
    return spki == null || der[subject[1]] != 0x30 ? null : new int[] {subject[1], spki[1]};
  }

  /**
   * The DER element at {@code offset}: {start of its contents, end of the element}, or null when it is not a
   * definite-length element inside {@code limit} with a one-byte tag.
   */
  private static int[] tlv(byte[] der, int offset, int limit) {
    if (offset + 2 > limit || (der[offset] & 0x1f) == 0x1f) {
      return null;
    }
    int first = der[offset + 1] & 0xff;
    int contents = offset + 2;
    long length;
    if (first < 0x80) {
      length = first;
    } else {
      int bytes = first & 0x7f;
      if (bytes == 0 || bytes > 3 || contents + bytes > limit) {
        return null; // indefinite length, or more than a CSR may hold
      }
      length = 0;
      for (int i = 0; i < bytes; i++) {
        length = (length << 8) | (der[contents++] & 0xff);
      }
    }
    return contents + length > limit ? null : new int[] {contents, (int) (contents + length)};
  }

  /**
   * Proof of possession. The common algorithms go straight to a JCA {@link Signature} of the CA crypto provider over
   * the encoded CertificationRequestInfo: BouncyCastle's content-verifier path does the same check at about half the
   * rate with the JDK's provider (measured by CaBenchmark), and the verify is the larger part of a CSR's crypto.
   * RSASSA-PSS, whose parameters live in the algorithm identifier, keeps BouncyCastle's verifier.
   */
  private boolean verifiesWithOwnKey(PKCS10CertificationRequest csr, byte[] der, int[] info, PublicKey key,
      AlgorithmIdentifier algorithm) throws Exception {
    String jcaName = JCA_SIGNATURES.get(algorithm.getAlgorithm());
    if (jcaName == null) {
      return csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    }
    Signature verifier = crypto.threadSignature(jcaName);
    verifier.initVerify(key);
    if (info != null) {
      verifier.update(der, info[0], info[1] - info[0]);
    } else {
      verifier.update(csr.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
    }
    return verifier.verify(csr.getSignature());
  }

  private static ValidatedCsr.KeyKind keyKind(PublicKey key, AlgorithmIdentifier algorithm) {
    if (key instanceof ECPublicKey) {
      ASN1ObjectIdentifier curve = algorithm.getParameters() instanceof ASN1ObjectIdentifier oid ? oid : null;
      if (SECObjectIdentifiers.secp256r1.equals(curve)) {
        return ValidatedCsr.KeyKind.EC_P256;
      }
      if (SECObjectIdentifiers.secp384r1.equals(curve)) {
        return ValidatedCsr.KeyKind.EC_P384;
      }
      throw invalid("CSR EC key must use curve P-256 or P-384");
    }
    if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      if (bits < 2048) {
        throw invalid("CSR RSA key is " + bits + " bits; at least 2048 required");
      }
      if (bits > 8192) {
        throw invalid("CSR RSA key is " + bits + " bits; at most 8192 accepted");
      }
      return ValidatedCsr.KeyKind.RSA;
    }
    throw invalid("CSR key type " + key.getAlgorithm() + " is not ECDSA or RSA");
  }

  private void checkAttributes(PKCS10CertificationRequest csr, SpiffeId caller) {
    for (Attribute attribute : csr.getAttributes()) {
      if (!PKCSObjectIdentifiers.pkcs_9_at_extensionRequest.equals(attribute.getAttrType())) {
        throw invalid("CSR attribute " + attribute.getAttrType() + " is not allowed");
      }
    }
    Extensions extensions = csr.getRequestedExtensions();
    if (extensions == null) {
      return;
    }
    for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
      if (!ALLOWED_EXTENSIONS.contains(oid)) {
        throw invalid("CSR requests unexpected extension " + oid);
      }
    }
    BasicConstraints constraints;
    try {
      constraints = BasicConstraints.fromExtensions(extensions);
    } catch (RuntimeException e) {
      throw invalid("CSR basicConstraints does not parse");
    }
    if (constraints != null && constraints.isCA()) {
      throw new CaException(CaError.PERMISSION_DENIED, "CSR requests a CA certificate (basicConstraints CA:true); workloads get leaf certificates only");
    }
    if (sanPolicy == SanPolicy.REPLACE) {
      return;
    }
    GeneralNames names;
    try {
      names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
    } catch (RuntimeException e) {
      throw invalid("CSR subjectAltName does not parse");
    }
    if (names == null) {
      return;
    }
    int uris = 0;
    for (GeneralName name : names.getNames()) {
      if (name.getTagNo() != GeneralName.uniformResourceIdentifier) {
        throw new CaException(CaError.PERMISSION_DENIED,
            "CSR requests " + describe(name) + " but the caller " + caller + " may only get its SPIFFE identity");
      }
      String uri = name.getName().toString();
      if (!uri.equals(caller.toString())) {
        throw new CaException(CaError.PERMISSION_DENIED,
            "CSR requests identity " + uri + " but the caller is " + caller);
      }
      uris++;
    }
    if (uris > 1) {
      throw invalid("CSR requests the URI SAN more than once; an X.509-SVID has exactly one");
    }
  }

  private static String describe(GeneralName name) {
    String kind = switch (name.getTagNo()) {
      case GeneralName.dNSName -> "DNS SAN";
      case GeneralName.iPAddress -> "IP SAN";
      case GeneralName.rfc822Name -> "email SAN";
      default -> "SAN of type " + name.getTagNo();
    };
    ASN1Primitive value = name.getName().toASN1Primitive();
    return kind + (name.getTagNo() == GeneralName.iPAddress ? "" : " " + value);
  }

  private static CaException invalid(String reason) {
    return new CaException(CaError.INVALID_ARGUMENT, reason);
  }
}
