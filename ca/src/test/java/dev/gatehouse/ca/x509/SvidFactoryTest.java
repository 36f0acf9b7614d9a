package dev.gatehouse.ca.x509;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * The leaf SvidFactory assembles from the TBSCertificate it signed is the certificate BouncyCastle's
 * X509v3CertificateBuilder builds from the same inputs (the profile written out here independently), byte for byte
 * apart from the ECDSA signature value, and its signature verifies under the issuer's key.
 */
class SvidFactoryTest {
  private static final Instant NOW = Instant.now();
  private static final SigningAuthority ROOT = TestPki.root("cluster.local", NOW.minusSeconds(60), Duration.ofDays(30));
  private static final SpiffeId CART = SpiffeId.of("cluster.local", "shop", "cart");

  @Test
  void anEcWorkloadLeafIsWhatBouncyCastlesBuilderBuilds() throws Exception {
    assertSameAsBuilder(SigningRequest.workload(CART, TestPki.ecP256().getPublic(), null, Duration.ofHours(24)));
  }

  @Test
  void anRsaLeafWithDnsNamesIsWhatBouncyCastlesBuilderBuildsToo() throws Exception {
    KeyPair rsa = TestPki.rsa(2048);
    assertSameAsBuilder(new SigningRequest(CART, rsa.getPublic(), null, Duration.ofDays(400),
        List.of("istiod.istio-system.svc", "gatehouse.example")));
  }

  private static void assertSameAsBuilder(SigningRequest request) throws Exception {
    byte[] der = SvidFactory.encode(ROOT, request, NOW).certificates().get(0).getEncoded();
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der));
    leaf.verify(ROOT.signingCertificate().getPublicKey());
    assertThat(leaf.getEncoded()).isEqualTo(der); // nothing after the certificate, nothing re-encoded by the parser

    SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(request.publicKey().getEncoded());
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, request.identity().toString()));
    request.dnsNames().forEach(dns -> names.add(new GeneralName(GeneralName.dNSName, dns)));
    boolean rsa = request.publicKey().getAlgorithm().equals("RSA");
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        X500Name.getInstance(ROOT.signingCertificate().getSubjectX500Principal().getEncoded()), leaf.getSerialNumber(),
        leaf.getNotBefore(), leaf.getNotAfter(), new X500Name(new RDN[0]), key)
        .addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names.toArray(GeneralName[]::new)))
        .addExtension(Extension.keyUsage, true,
            new KeyUsage(rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature))
        .addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key))
        .addExtension(Extension.authorityKeyIdentifier, false,
            new AuthorityKeyIdentifier(utils.createSubjectKeyIdentifier(ROOT.signingCertificate().getPublicKey()).getKeyIdentifier()));
    X509CertificateHolder expected = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ROOT.key()));

    X509CertificateHolder actual = new X509CertificateHolder(der);
    assertThat(actual.toASN1Structure().getTBSCertificate().getEncoded(ASN1Encoding.DER))
        .isEqualTo(expected.toASN1Structure().getTBSCertificate().getEncoded(ASN1Encoding.DER))
        .isEqualTo(leaf.getTBSCertificate());
    assertThat(actual.getSignatureAlgorithm()).isEqualTo(expected.getSignatureAlgorithm());
    // Same DER outside the signature value: the certificate re-encoded by BouncyCastle is the bytes SvidFactory made.
    assertThat(actual.getEncoded()).isEqualTo(der);
  }
}
