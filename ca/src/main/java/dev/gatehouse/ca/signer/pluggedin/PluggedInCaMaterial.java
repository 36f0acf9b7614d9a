package dev.gatehouse.ca.signer.pluggedin;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.x509.CaKeys;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Validates plugged-in CA files (Istio's {@code cacerts} layout {@code ca-cert.pem}, {@code ca-key.pem},
 * {@code cert-chain.pem}, {@code root-cert.pem}, or the {@code kubernetes.io/tls} layout {@code tls.crt},
 * {@code tls.key}, {@code ca.crt}) into a {@link SigningAuthority}: the key matches the certificate, the certificate
 * is a CA allowed to sign certificates, it is within its validity, and the chain verifies to one of the roots.
 * Stateless.
 */
public final class PluggedInCaMaterial {
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String CERT_CHAIN = "cert-chain.pem";
  public static final String ROOT_CERT = "root-cert.pem";
  public static final String TLS_CERT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String TLS_CA = "ca.crt";

  private PluggedInCaMaterial() {}

  /** Plugged-in material that cannot be used; the message says why. */
  public static final class InvalidCaMaterialException extends Exception {
    public InvalidCaMaterialException(String message) {
      super(message);
    }
  }

  public static SigningAuthority parse(Map<String, String> files, Instant now) throws InvalidCaMaterialException {
    boolean istioLayout = files.containsKey(CA_CERT);
    String certName = istioLayout ? CA_CERT : TLS_CERT;
    String keyName = istioLayout ? CA_KEY : TLS_KEY;
    String rootName = istioLayout ? ROOT_CERT : TLS_CA;
    for (String required : List.of(certName, keyName, rootName)) {
      if (!files.containsKey(required)) {
        throw new InvalidCaMaterialException("missing " + required);
      }
    }
    List<X509Certificate> certs = certificates(files, certName);
    X509Certificate caCert = certs.get(0);
    PrivateKey key;
    try {
      key = PemCodec.decodePrivateKey(files.get(keyName));
    } catch (PemCodec.PemException e) {
      throw new InvalidCaMaterialException(keyName + ": " + e.getMessage());
    }
    if (!CaKeys.matches(key, caCert.getPublicKey())) {
      throw new InvalidCaMaterialException(keyName + " does not match " + certName);
    }
    if (caCert.getBasicConstraints() < 0) {
      throw new InvalidCaMaterialException(certName + " is not a CA certificate (basicConstraints CA:false)");
    }
    boolean[] keyUsage = caCert.getKeyUsage();
    if (keyUsage != null && !keyUsage[5]) {
      throw new InvalidCaMaterialException(certName + " may not sign certificates (keyUsage lacks keyCertSign)");
    }
    if (now.isBefore(caCert.getNotBefore().toInstant()) || !now.isBefore(caCert.getNotAfter().toInstant())) {
      throw new InvalidCaMaterialException(certName + " is not valid now (valid " + caCert.getNotBefore().toInstant()
          + " to " + caCert.getNotAfter().toInstant() + ")");
    }
    TrustBundle bundle = TrustBundle.of(certificates(files, rootName));
    // Intermediates: whatever follows the CA certificate in its own file and in cert-chain.pem, minus roots.
    List<X509Certificate> intermediates = new ArrayList<>(certs.subList(1, certs.size()));
    if (istioLayout && files.containsKey(CERT_CHAIN)) {
      for (X509Certificate c : certificates(files, CERT_CHAIN)) {
        if (!c.equals(caCert) && !bundle.contains(c) && !intermediates.contains(c)) {
          intermediates.add(c);
        }
      }
    }
    intermediates.removeIf(bundle::contains);
    List<X509Certificate> path = new ArrayList<>();
    path.add(caCert);
    path.addAll(intermediates);
    X509Certificate root;
    try {
      root = bundle.verify(path, now);
    } catch (GeneralSecurityException e) {
      throw new InvalidCaMaterialException(certName + " does not chain to " + rootName + ": " + e.getMessage());
    }
    List<X509Certificate> chain = new ArrayList<>(path);
    if (!chain.contains(root)) {
      chain.add(root);
    }
    return new SigningAuthority(key, chain, bundle);
  }

  private static List<X509Certificate> certificates(Map<String, String> files, String name) throws InvalidCaMaterialException {
    try {
      List<X509Certificate> certs = PemCodec.decodeCertificates(files.get(name));
      if (certs.isEmpty()) {
        throw new InvalidCaMaterialException(name + " holds no certificate");
      }
      return certs;
    } catch (PemCodec.PemException e) {
      throw new InvalidCaMaterialException(name + ": " + e.getMessage());
    }
  }
}
