package dev.gatehouse.ca;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.x509.CaKeys;
import dev.gatehouse.ca.x509.RootCertificateFactory;
import java.io.StringWriter;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Keys, CSRs and CA material for tests, made with the real JCA and BouncyCastle. */
public final class TestPki {
  private TestPki() {}

  public static KeyPair ec(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair ecP256() {
    return ec("secp256r1");
  }

  public static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A CSR builder in the shape istio-agent sends (pkg/security/pki/util/generate_csr.go): a SAN with the identity. */
  public static final class Csr {
    private final KeyPair subjectKey;
    private PrivateKey signingKey;
    private final List<GeneralName> sans = new ArrayList<>();
    private final ExtensionsGenerator extra = new ExtensionsGenerator();
    private boolean hasExtra;
    private X500Name subject = new X500Name("O=cluster.local");

    private Csr(KeyPair subjectKey) {
      this.subjectKey = subjectKey;
      this.signingKey = subjectKey.getPrivate();
    }

    public static Csr forKey(KeyPair key) {
      return new Csr(key);
    }

    public Csr uri(String uri) {
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    public Csr dns(String dns) {
      sans.add(new GeneralName(GeneralName.dNSName, dns));
      return this;
    }

    public Csr ip(String ip) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
      return this;
    }

    public Csr email(String email) {
      sans.add(new GeneralName(GeneralName.rfc822Name, email));
      return this;
    }

    public Csr subject(String dn) {
      subject = new X500Name(dn);
      return this;
    }

    public Csr extension(org.bouncycastle.asn1.ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
      try {
        extra.addExtension(oid, critical, value);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      hasExtra = true;
      return this;
    }

    /** Signs the CSR with another key than the one it carries: no proof of possession. */
    public Csr signedBy(PrivateKey key) {
      this.signingKey = key;
      return this;
    }

    public PKCS10CertificationRequest build() {
      try {
        JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(subject, subjectKey.getPublic());
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        if (!sans.isEmpty()) {
          extensions.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(sans.toArray(GeneralName[]::new)));
        }
        if (hasExtra) {
          for (var oid : extra.generate().getExtensionOIDs()) {
            extensions.addExtension(extra.generate().getExtension(oid));
          }
        }
        if (!extensions.isEmpty()) {
          builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
        }
        String algorithm = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    public String pem() {
      try {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
          writer.writeObject(build());
        }
        return out.toString();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A self-signed root authority for {@code trustDomain}. */
  public static SigningAuthority root(String trustDomain, Instant now, Duration ttl) {
    try {
      KeyPair key = CaKeys.generate(CaKeys.Algorithm.EC_P256);
      X509Certificate root = RootCertificateFactory.selfSigned(key, trustDomain, now, ttl);
      return RootCertificateFactory.selfSignedAuthority(key.getPrivate(), root, List.of(root));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An intermediate CA signed by {@code parent}; its chain ends in the parent's root. */
  public static Intermediate intermediate(SigningAuthority parent, String cn, Instant now, Duration ttl) {
    try {
      KeyPair key = CaKeys.generate(CaKeys.Algorithm.EC_P256);
      X509Certificate cert = RootCertificateFactory.intermediate(parent, new X500Principal("CN=" + cn), key.getPublic(), now, ttl);
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(cert);
      chain.addAll(parent.chain());
      return new Intermediate(key, new SigningAuthority(key.getPrivate(), chain, parent.trustBundle()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public record Intermediate(KeyPair key, SigningAuthority authority) {
    public X509Certificate certificate() {
      return authority.signingCertificate();
    }

    public TrustBundle bundle() {
      return authority.trustBundle();
    }

    /** Istio's cacerts layout. */
    public java.util.Map<String, String> cacertsFiles() {
      List<X509Certificate> chain = authority.chain();
      return java.util.Map.of(
          "ca-cert.pem", PemCodec.encodeCertificate(chain.get(0)),
          "ca-key.pem", PemCodec.encodePrivateKey(key.getPrivate()),
          "cert-chain.pem", PemCodec.encodeCertificates(chain),
          "root-cert.pem", authority.trustBundle().pem());
    }
  }
}
