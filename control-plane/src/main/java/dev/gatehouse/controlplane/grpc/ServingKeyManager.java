package dev.gatehouse.controlplane.grpc;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The gRPC servers' key manager: always presents the current serving certificate. {@link #update} swaps key and
 * chain atomically, so a rotated certificate is used from the next handshake on, without restarting the servers;
 * connections already established keep their session. Thread-safe.
 */
public final class ServingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "gatehouse-serving";

  private record Material(PrivateKey key, X509Certificate[] chain) {}

  private volatile Material material;

  /** @param chain leaf first */
  public void update(PrivateKey key, List<X509Certificate> chain) {
    material = new Material(Objects.requireNonNull(key, "key"), chain.toArray(X509Certificate[]::new));
  }

  public X509Certificate currentCertificate() {
    Material m = material;
    return m == null ? null : m.chain()[0];
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  private String alias(String keyType) {
    Material m = material;
    return m != null && m.key().getAlgorithm().equalsIgnoreCase(keyType) ? ALIAS : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Material m = material;
    return ALIAS.equals(alias) && m != null ? m.chain().clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Material m = material;
    return ALIAS.equals(alias) && m != null ? m.key() : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = alias(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
