package dev.gatehouse.ca.signer.spire;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies the SPIRE Server's TLS certificate the SPIFFE way: PKIX to the trust domain's bundle and the URI SAN equal to
 * the server's SPIFFE ID, with no host name check (an X509-SVID carries no DNS name). An extended trust manager, so
 * the JDK does not add its own host name check around it. Immutable.
 */
final class SpiffeServerTrust extends X509ExtendedTrustManager {
  private static final Integer URI = 6;
  private final Set<TrustAnchor> anchors;
  private final String serverId;

  SpiffeServerTrust(List<X509Certificate> bundle, String serverId) {
    if (bundle.isEmpty()) {
      throw new IllegalArgumentException("empty SPIFFE bundle");
    }
    Set<TrustAnchor> set = new LinkedHashSet<>();
    bundle.forEach(root -> set.add(new TrustAnchor(root, null)));
    this.anchors = Set.copyOf(set);
    this.serverId = serverId;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the SPIRE Server presented no certificate");
    }
    List<String> uris = uris(chain[0]);
    if (!uris.equals(List.of(serverId))) {
      throw new CertificateException("the SPIRE Server's certificate names " + uris + ", expected " + serverId);
    }
    try {
      List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
      while (path.size() > 1 && anchors.stream().anyMatch(a -> a.getTrustedCert().equals(path.get(path.size() - 1)))) {
        path.remove(path.size() - 1);
      }
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("the SPIRE Server's certificate does not verify to the bundle: " + e.getMessage(), e);
    }
  }

  private static List<String> uris(X509Certificate certificate) throws CertificateParsingException {
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    List<String> out = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (URI.equals(san.get(0))) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    }
    return out;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("client side only");
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
  public X509Certificate[] getAcceptedIssuers() {
    return anchors.stream().map(TrustAnchor::getTrustedCert).toArray(X509Certificate[]::new);
  }
}
