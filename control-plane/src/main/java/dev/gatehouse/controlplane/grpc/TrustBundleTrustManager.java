package dev.gatehouse.controlplane.grpc;

import dev.gatehouse.ca.signer.TrustBundle;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies TLS client certificates against the CA's current trust bundle (re-read per handshake, so a rotated or
 * added root is trusted at once). Client certificates are optional on Gatehouse's ports (a first CSR comes with a
 * token only), but one that is presented must verify, or the handshake fails. Thread-safe.
 */
public final class TrustBundleTrustManager extends X509ExtendedTrustManager {
  private final Supplier<TrustBundle> bundle;
  private final Clock clock;

  public TrustBundleTrustManager(Supplier<TrustBundle> bundle, Clock clock) {
    this.bundle = bundle;
    this.clock = clock;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    TrustBundle current = bundle.get();
    if (current == null) {
      throw new CertificateException("no trust bundle yet");
    }
    try {
      current.verify(List.of(chain), clock.instant());
    } catch (GeneralSecurityException e) {
      throw new CertificateException("client certificate does not chain to the mesh trust bundle: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("server-side trust manager");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  /**
   * None named: the TLS CertificateRequest then carries no certificate_authorities list, and a client sends its
   * certificate whatever root it chains to; {@link #checkClientTrusted} decides against the current bundle. Naming the
   * bundle's roots here would freeze them: netty's OpenSSL server context reads this list once, when it is built, so
   * after a root was added (an upstream CA's rotation) clients holding certificates under it would send none (a TLS
   * client offers only certificates under an acceptable issuer) and be treated as unauthenticated.
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
