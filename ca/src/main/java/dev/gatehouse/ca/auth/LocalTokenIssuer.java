package dev.gatehouse.ca.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.ca.pem.PemCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * File mode's stand-in for the Kubernetes service-account token issuer: an ES256 key kept in the state directory
 * mints tokens shaped like projected service-account tokens ({@code sub = system:serviceaccount:<ns>:<sa>},
 * {@code kubernetes.io} claim), signed with Nimbus JOSE+JWT, which {@link JwtAuthenticator} then validates against
 * {@link #keySet()}. Lets the demo run without a cluster. Immutable and thread-safe.
 */
public final class LocalTokenIssuer {
  public static final String DEFAULT_ISSUER = "https://gatehouse.local/token-issuer";

  private final ECKey key;
  private final JWSSigner signer;
  private final String issuer;

  public LocalTokenIssuer(KeyPair keyPair, String issuer) {
    Objects.requireNonNull(keyPair, "keyPair");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    if (!(keyPair.getPublic() instanceof ECPublicKey publicKey)) {
      throw new IllegalArgumentException("token signing key must be an EC P-256 key");
    }
    // The kid stays the one earlier releases derived, so tokens minted before an upgrade keep verifying.
    this.key = new ECKey.Builder(Curve.P_256, publicKey)
        .privateKey(keyPair.getPrivate())
        .keyID(keyId(publicKey))
        .keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.ES256)
        .build();
    try {
      this.signer = new ECDSASigner(key);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("token signing key must be an EC P-256 key: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the PKCS#8 EC key at {@code keyFile}, creating it (mode 0600, written atomically) when absent, so the
   * CLI and the server share one key.
   */
  public static LocalTokenIssuer loadOrCreate(Path keyFile, String issuer) throws IOException {
    try {
      if (!Files.exists(keyFile)) {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(keyFile.toAbsolutePath().getParent(), ".token-key", ".tmp");
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // Non-POSIX file systems: best effort.
        }
        Files.writeString(tmp, PemCodec.encodePrivateKey(pair.getPrivate()), StandardCharsets.US_ASCII);
        try {
          // No REPLACE_EXISTING: if another process created the key meanwhile, theirs wins and we read it.
          Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          Files.deleteIfExists(tmp);
          if (!Files.exists(keyFile)) {
            throw e;
          }
        }
      }
      PrivateKey privateKey = PemCodec.decodePrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
      return new LocalTokenIssuer(new KeyPair(publicKeyOf(privateKey), privateKey), issuer);
    } catch (GeneralSecurityException | PemCodec.PemException e) {
      throw new IOException("token signing key " + keyFile + " is unusable: " + e.getMessage(), e);
    }
  }

  public String issuer() {
    return issuer;
  }

  public JsonWebKeySet keySet() {
    return JsonWebKeySet.of(List.of(key));
  }

  /** A token for {@code namespace/serviceAccount}, valid for {@code audiences} from {@code now} for {@code ttl}. */
  public String mint(String namespace, String serviceAccount, List<String> audiences, Instant now, Duration ttl) {
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
        .audience(List.copyOf(audiences))
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .claim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount", Map.of("name", serviceAccount)))
        .build();
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
    return jwt.serialize();
  }

  private static String keyId(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return Base64URL.encode(Arrays.copyOf(digest, 16)).toString();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static PublicKey publicKeyOf(PrivateKey privateKey) throws GeneralSecurityException {
    if (!(privateKey instanceof ECPrivateKey ec)) {
      throw new GeneralSecurityException("token signing key must be an EC P-256 key");
    }
    // Q = d·G, computed with BouncyCastle's curve arithmetic (the JCA has no public point multiplication).
    org.bouncycastle.asn1.x9.X9ECParameters curve = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp256r1");
    org.bouncycastle.math.ec.ECPoint q = curve.getG().multiply(ec.getS()).normalize();
    java.security.spec.ECPoint w = new java.security.spec.ECPoint(
        q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, ec.getParams()));
  }
}
