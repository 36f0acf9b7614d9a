package dev.gatehouse.it.agent;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
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
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A CA the mesh does not trust, for refusal tests: it issues SPIFFE X.509-SVIDs shaped exactly like the mesh CA's
 * (URI SAN, serverAuth+clientAuth, CA:false), so the only thing wrong with them is who signed them. Immutable.
 */
public final class ForeignCertificateAuthority {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final KeyPair key;
  private final X509Certificate root;

  public ForeignCertificateAuthority() throws GeneralSecurityException {
    this.key = WorkloadAgent.newKey();
    X500Name name = new X500Name("O=Not The Mesh");
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          name, new BigInteger(128, RANDOM), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(Duration.ofDays(1))), name, key.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      this.root = sign(builder, key);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  public X509Certificate root() {
    return root;
  }

  /** Writes key.pem / cert-chain.pem / root-cert.pem for {@code identity}, signed by this (untrusted) CA. */
  public X509Certificate installSvid(WorkloadIdentity identity, Path dir) throws GeneralSecurityException, IOException {
    KeyPair leafKey = WorkloadAgent.newKey();
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        root, new BigInteger(128, RANDOM), Date.from(now.minusSeconds(60)),
        Date.from(now.plus(Duration.ofHours(1))), new X500Name(""), leafKey.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.spiffeId())));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    X509Certificate leaf = sign(builder, key);
    WorkloadAgent.writeFiles(dir, WorkloadAgent.Pem.encode(leafKey.getPrivate()),
        WorkloadAgent.Pem.encode(leaf) + WorkloadAgent.Pem.encode(root), WorkloadAgent.Pem.encode(root));
    return leaf;
  }

  /** Installs a leaf from this CA but with the mesh's root as root-cert.pem, so the holder trusts the mesh. */
  public X509Certificate installSvidTrustingMesh(WorkloadIdentity identity, Path dir, String meshRootPem)
      throws GeneralSecurityException, IOException {
    X509Certificate leaf = installSvid(identity, dir);
    WorkloadAgent.writeFiles(dir, java.nio.file.Files.readString(dir.resolve(WorkloadAgent.KEY)),
        java.nio.file.Files.readString(dir.resolve(WorkloadAgent.CERT_CHAIN)), meshRootPem);
    return leaf;
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
