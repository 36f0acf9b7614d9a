package dev.gatehouse.ca.x509;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;

/** Key generation and signature algorithm choice for CA keys. Stateless and thread-safe. */
public final class CaKeys {
  private CaKeys() {}

  /** The key algorithms a self-signed root may use. */
  public enum Algorithm {
    EC_P256,
    RSA_2048,
    RSA_4096
  }

  public static KeyPair generate(Algorithm algorithm) {
    try {
      return switch (algorithm) {
        case EC_P256 -> {
          KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
          ec.initialize(new ECGenParameterSpec("secp256r1"));
          yield ec.generateKeyPair();
        }
        case RSA_2048, RSA_4096 -> {
          KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
          rsa.initialize(algorithm == Algorithm.RSA_2048 ? 2048 : 4096);
          yield rsa.generateKeyPair();
        }
      };
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate " + algorithm + " key", e);
    }
  }

  /** SHA-256 for P-256 and RSA keys, SHA-384 for larger EC keys (matching strength, RFC 5480 §4). */
  public static String signatureAlgorithm(PrivateKey key) {
    if (key instanceof ECKey ec) {
      return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
    }
    if (key instanceof RSAKey) {
      return "SHA256withRSA";
    }
    throw new IllegalArgumentException("unsupported CA key type " + key.getAlgorithm());
  }

  /** True when {@code privateKey} signs what {@code publicKey} verifies (the cert/key pair check). */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    try {
      String algorithm = signatureAlgorithm(privateKey);
      byte[] probe = "gatehouse key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
