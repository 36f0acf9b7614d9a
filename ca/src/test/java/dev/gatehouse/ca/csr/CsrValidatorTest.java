package dev.gatehouse.ca.csr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.TestPki.Csr;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.security.KeyPair;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;

class CsrValidatorTest {
  private static final SpiffeId CALLER = SpiffeId.of("cluster.local", "shop", "cart");
  private static final KeyPair P256 = TestPki.ecP256();
  private final CsrValidator strict = new CsrValidator(SanPolicy.STRICT);

  @Test
  void ecP256CsrNamingTheCallerIsAccepted() {
    ValidatedCsr csr = strict.validate(Csr.forKey(P256).uri(CALLER.toString()).pem(), CALLER);
    assertThat(csr.keyKind()).isEqualTo(ValidatedCsr.KeyKind.EC_P256);
    assertThat(csr.publicKey()).isEqualTo(P256.getPublic());
  }

  @Test
  void ecP384AndRsa2048AndSanlessCsrsAreAccepted() {
    assertThat(strict.validate(Csr.forKey(TestPki.ec("secp384r1")).uri(CALLER.toString()).pem(), CALLER).keyKind())
        .isEqualTo(ValidatedCsr.KeyKind.EC_P384);
    assertThat(strict.validate(Csr.forKey(TestPki.rsa(2048)).pem(), CALLER).keyKind()).isEqualTo(ValidatedCsr.KeyKind.RSA);
  }

  @Test
  void csrForAnotherServiceAccountIsDenied() {
    String pem = Csr.forKey(P256).uri("spiffe://cluster.local/ns/shop/sa/payments").pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.PERMISSION_DENIED, "spiffe://cluster.local/ns/shop/sa/payments");
  }

  @Test
  void csrForAnotherTrustDomainIsDenied() {
    String pem = Csr.forKey(P256).uri("spiffe://evil.example/ns/shop/sa/cart").pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.PERMISSION_DENIED, "evil.example");
  }

  @Test
  void extraDnsSanIsDenied() {
    String pem = Csr.forKey(P256).uri(CALLER.toString()).dns("payments.shop.svc").pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.PERMISSION_DENIED, "DNS SAN payments.shop.svc");
  }

  @Test
  void ipAndEmailSansAreDenied() {
    assertRefused(() -> strict.validate(Csr.forKey(P256).ip("127.0.0.9").pem(), CALLER), CaError.PERMISSION_DENIED, "IP SAN");
    assertRefused(() -> strict.validate(Csr.forKey(P256).email("a@b.example").pem(), CALLER), CaError.PERMISSION_DENIED, "email SAN");
  }

  @Test
  void caTrueCsrIsDeniedEvenWhenReplacingSans() {
    String pem = Csr.forKey(P256).uri(CALLER.toString()).extension(Extension.basicConstraints, true, new BasicConstraints(true)).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.PERMISSION_DENIED, "CA:true");
    assertRefused(() -> new CsrValidator(SanPolicy.REPLACE).validate(pem, CALLER), CaError.PERMISSION_DENIED, "CA:true");
  }

  @Test
  void caFalseBasicConstraintsIsAccepted() {
    String pem = Csr.forKey(P256).uri(CALLER.toString()).extension(Extension.basicConstraints, true, new BasicConstraints(false)).pem();
    assertThat(strict.validate(pem, CALLER).keyKind()).isEqualTo(ValidatedCsr.KeyKind.EC_P256);
  }

  @Test
  void unexpectedExtensionIsRejected() {
    String pem = Csr.forKey(P256).uri(CALLER.toString())
        .extension(new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), false, new DEROctetString(new byte[] {1})).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "unexpected extension 1.3.6.1.4.1.99999.1");
  }

  @Test
  void rsa1024IsRejected() {
    String pem = Csr.forKey(TestPki.rsa(1024)).uri(CALLER.toString()).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "1024 bits; at least 2048");
  }

  @Test
  void otherEcCurvesAreRejected() {
    String pem = Csr.forKey(TestPki.ec("secp521r1")).uri(CALLER.toString()).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "P-256 or P-384");
  }

  @Test
  void csrSignedByADifferentKeyIsRejected() {
    String pem = Csr.forKey(P256).uri(CALLER.toString()).signedBy(TestPki.ecP256().getPrivate()).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "proof of possession");
  }

  @Test
  void nonPemIsRejectedWithAReason() {
    assertRefused(() -> strict.validate("this is not a CSR", CALLER), CaError.INVALID_ARGUMENT, "not PEM");
    assertRefused(() -> strict.validate("", CALLER), CaError.INVALID_ARGUMENT, "empty");
    String certificateNotCsr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    assertRefused(() -> strict.validate(certificateNotCsr, CALLER), CaError.INVALID_ARGUMENT, "CSR");
  }

  /**
   * The common shape is decoded directly and everything else by BouncyCastle's PEM parser: the same CSR in other
   * PEM spellings (text before the block, CRLF, one base64 line, the NEW CERTIFICATE REQUEST label, a header line)
   * decodes to the same DER and validates alike, and a block whose base64 is broken is refused with the parser's reason.
   */
  @Test
  void everyPemSpellingOfACsrDecodesToTheSameRequest() throws Exception {
    String pem = Csr.forKey(P256).uri(CALLER.toString()).pem();
    byte[] der = PemCodec.decodeCertificationRequestBlock(pem).der();
    String body = java.util.Base64.getEncoder().encodeToString(der);
    List<String> spellings = List.of(
        "a CSR for cart\n" + pem,
        pem.replace("\n", "\r\n"),
        "-----BEGIN CERTIFICATE REQUEST-----\n" + body + "\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN NEW CERTIFICATE REQUEST-----\n" + body + "\n-----END NEW CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\nComment: from cart\n" + body + "\n-----END CERTIFICATE REQUEST-----\n");
    for (String spelling : spellings) {
      assertThat(PemCodec.decodeCertificationRequestBlock(spelling).der()).as(spelling).isEqualTo(der);
      assertThat(strict.validate(spelling, CALLER).publicKey()).as(spelling).isEqualTo(P256.getPublic());
    }
    String broken = "-----BEGIN CERTIFICATE REQUEST-----\n" + body.substring(0, 20) + "!" + body.substring(21)
        + "\n-----END CERTIFICATE REQUEST-----\n";
    assertRefused(() -> strict.validate(broken, CALLER), CaError.INVALID_ARGUMENT, "not valid PEM");
  }

  /** The proof of possession covers the CertificationRequestInfo as sent: one changed byte in it fails the check. */
  @Test
  void aChangedByteInTheSignedRequestFailsProofOfPossession() throws Exception {
    byte[] der = Csr.forKey(P256).uri(CALLER.toString()).build().getEncoded();
    byte[] subject = "cluster.local".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int at = indexOf(der, subject);
    assertThat(at).isPositive();
    der[at + subject.length - 1] = 'm'; // O=cluster.locam: still a well-formed CSR, no longer the one signed
    String pem = PemCodec.encode("CERTIFICATE REQUEST", der);
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "proof of possession");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void twoCsrBlocksAreRejected() {
    String pem = Csr.forKey(P256).pem() + Csr.forKey(P256).pem();
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "more than one block");
  }

  @Test
  void oversizeCsrIsRejectedBeforeParsing() {
    String pem = Csr.forKey(P256).pem() + "x".repeat(CsrValidator.MAX_CSR_BYTES);
    assertRefused(() -> strict.validate(pem, CALLER), CaError.INVALID_ARGUMENT, "larger than 65536 bytes");
  }

  @Test
  void replaceModeIgnoresForeignSansLikeIstio() {
    CsrValidator replace = new CsrValidator(SanPolicy.REPLACE);
    String pem = Csr.forKey(P256).uri("spiffe://cluster.local/ns/shop/sa/payments").dns("x.example").pem();
    assertThat(replace.validate(pem, CALLER).publicKey()).isEqualTo(P256.getPublic());
  }

  private static void assertRefused(ThrowingCallable call, CaError error, String reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(error))
        .hasMessageContaining(reason);
  }
}
