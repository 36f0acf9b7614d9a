package dev.gatehouse.ca.pem;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM in and out, in the shapes Istio exchanges: one certificate per PEM block, each ending in {@code "\n"};
 * private keys as PKCS#8, PKCS#1 (RSA) or SEC1 (EC). Stateless and thread-safe.
 */
public final class PemCodec {
  private static final Base64.Encoder MIME = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
  private static final JcaX509CertificateConverter CERTS = new JcaX509CertificateConverter();
  private static final JcaPEMKeyConverter KEYS = new JcaPEMKeyConverter();

  private PemCodec() {}

  /** One PEM block ending in a newline, as istio-agent expects for each element of {@code cert_chain}. */
  public static String encode(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + MIME.encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  public static String encodeCertificate(X509Certificate certificate) {
    try {
      return encode("CERTIFICATE", certificate.getEncoded());
    } catch (CertificateException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }

  public static String encodeCertificates(List<X509Certificate> certificates) {
    StringBuilder pem = new StringBuilder();
    certificates.forEach(c -> pem.append(encodeCertificate(c)));
    return pem.toString();
  }

  /** PKCS#8, the form every JCA provider reads back. */
  public static String encodePrivateKey(PrivateKey key) {
    return encode("PRIVATE KEY", key.getEncoded());
  }

  /** Every CERTIFICATE block in order; other block types are skipped. Throws on a malformed block. */
  public static List<X509Certificate> decodeCertificates(String pem) throws PemException {
    List<X509Certificate> certificates = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof X509CertificateHolder holder) {
          certificates.add(CERTS.getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new PemException("malformed PEM certificate: " + e.getMessage(), e);
    }
    return List.copyOf(certificates);
  }

  public static PrivateKey decodePrivateKey(String pem) throws PemException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (object instanceof PEMKeyPair pair) {
          return KEYS.getKeyPair(pair).getPrivate();
        }
        if (object instanceof PrivateKeyInfo info) {
          return KEYS.getPrivateKey(info);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new PemException("malformed PEM private key: " + e.getMessage(), e);
    }
    throw new PemException("no private key in PEM");
  }

  /** Exactly one CERTIFICATE REQUEST block. */
  public static PKCS10CertificationRequest decodeCertificationRequest(String pem) throws PemException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      if (!(object instanceof PKCS10CertificationRequest csr)) {
        throw new PemException(object == null
            ? "CSR is not PEM: no CERTIFICATE REQUEST block"
            : "CSR PEM block is not a CERTIFICATE REQUEST");
      }
      if (parser.readObject() != null) {
        throw new PemException("CSR PEM holds more than one block");
      }
      return csr;
    } catch (IOException | RuntimeException e) {
      throw new PemException("CSR is not valid PEM: " + e.getMessage(), e);
    }
  }

  /** A PEM input that does not parse; the message is safe to show to the sender. */
  public static final class PemException extends Exception {
    public PemException(String message) {
      super(message);
    }

    public PemException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
