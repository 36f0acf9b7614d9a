package dev.gatehouse.ca.pem;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
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

  /**
   * Exactly one CERTIFICATE REQUEST block. The shape every agent sends (optional whitespace, one {@code CERTIFICATE
   * REQUEST} or {@code NEW CERTIFICATE REQUEST} block of base64 lines, nothing else that looks like a block) is decoded
   * directly; anything else, and anything that does not decode that way, goes through BouncyCastle's {@link PEMParser},
   * which decides and words the refusal as before. The direct path saves the parser's reader buffers and line handling,
   * a measurable part of a CSR at thousands per second (CaBenchmark, JFR).
   */
  public static PKCS10CertificationRequest decodeCertificationRequest(String pem) throws PemException {
    return decodeCertificationRequestBlock(pem).request();
  }

  /** A decoded CSR with the DER it was decoded from (the bytes its signature covers, as sent). */
  public record CertificationRequestBlock(PKCS10CertificationRequest request, byte[] der) {}

  /** As {@link #decodeCertificationRequest}, with the block's DER. */
  public static CertificationRequestBlock decodeCertificationRequestBlock(String pem) throws PemException {
    CertificationRequestBlock direct = directCertificationRequest(pem);
    if (direct != null) {
      return direct;
    }
    PKCS10CertificationRequest parsed = parseCertificationRequest(pem);
    try {
      return new CertificationRequestBlock(parsed, parsed.getEncoded());
    } catch (IOException e) {
      throw new PemException("CSR is not valid PEM: " + e.getMessage(), e);
    }
  }

  private static final String BEGIN = "-----BEGIN ";
  private static final String CSR_BEGIN = "-----BEGIN CERTIFICATE REQUEST-----";
  private static final String CSR_END = "-----END CERTIFICATE REQUEST-----";
  private static final String NEW_CSR_BEGIN = "-----BEGIN NEW CERTIFICATE REQUEST-----";
  private static final String NEW_CSR_END = "-----END NEW CERTIFICATE REQUEST-----";
  private static final Base64.Decoder BASE64 = Base64.getDecoder();

  /** The single common-shape CSR block decoded, or null when the input is anything else (then PEMParser decides). */
  private static CertificationRequestBlock directCertificationRequest(String pem) {
    int start = 0;
    while (start < pem.length() && Character.isWhitespace(pem.charAt(start))) {
      start++;
    }
    String end;
    int bodyStart;
    if (pem.startsWith(CSR_BEGIN, start)) {
      end = CSR_END;
      bodyStart = start + CSR_BEGIN.length();
    } else if (pem.startsWith(NEW_CSR_BEGIN, start)) {
      end = NEW_CSR_END;
      bodyStart = start + NEW_CSR_BEGIN.length();
    } else {
      return null;
    }
    int bodyEnd = pem.indexOf(end, bodyStart);
    if (bodyEnd < 0 || pem.indexOf(BEGIN, bodyStart) >= 0) {
      return null; // unterminated, or a second block: the parser words the refusal
    }
    byte[] base64 = new byte[bodyEnd - bodyStart];
    int n = 0;
    for (int i = bodyStart; i < bodyEnd; i++) {
      char c = pem.charAt(i);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=') {
        base64[n++] = (byte) c;
      } else if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
        return null; // a header line (Proc-Type: ...) or a stray character
      }
    }
    try {
      byte[] der = BASE64.decode(Arrays.copyOf(base64, n));
      return new CertificationRequestBlock(new PKCS10CertificationRequest(der), der);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static PKCS10CertificationRequest parseCertificationRequest(String pem) throws PemException {
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
