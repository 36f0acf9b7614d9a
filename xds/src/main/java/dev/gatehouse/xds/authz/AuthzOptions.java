package dev.gatehouse.xds.authz;

import dev.gatehouse.xds.authn.JwksSnapshot;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Mesh-level inputs to policy translation that are not Kubernetes objects.
 *
 * @param extAuthzProviders CUSTOM action providers by name (Istio: meshConfig.extensionProviders)
 * @param remoteJwks true: {@code jwksUri} becomes Envoy-side {@code remote_jwks} (the proxy fetches, and re-fetches
 *     on an unknown {@code kid}); false (default): Gatehouse fetches and inlines the key set
 * @param clockSkewSeconds jwt_authn {@code clock_skew_seconds}; Istio leaves Envoy's default of 60
 * @param jwks the key sets fetched so far for {@code jwksUri}s (ignored when {@code remoteJwks})
 * @param remoteJwksCluster for {@code remoteJwks}: the cluster name that reaches a JWKS URI's host and port; the
 *     default is Istio's {@code outbound|<port>||<host>} (see {@link RemoteJwksCluster})
 * @param multipleCustomProviders false (default, Istio's): a workload whose CUSTOM policies name more than one
 *     provider gets every CUSTOM rule installed as a DENY rule, whichever provider it names; true: each provider gets
 *     its own shadow RBAC + ext_authz pair (Istio 1.30+ with PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS=true)
 */
public record AuthzOptions(
    Map<String, ExtAuthzProvider> extAuthzProviders,
    boolean remoteJwks,
    int clockSkewSeconds,
    JwksSnapshot jwks,
    Function<java.net.URI, String> remoteJwksCluster,
    boolean multipleCustomProviders) {

  public static final int DEFAULT_CLOCK_SKEW_SECONDS = 60;

  public AuthzOptions {
    extAuthzProviders = extAuthzProviders == null ? Map.of() : Map.copyOf(extAuthzProviders);
    if (clockSkewSeconds < 0) {
      throw new IllegalArgumentException("clockSkewSeconds must be >= 0: " + clockSkewSeconds);
    }
    jwks = jwks == null ? JwksSnapshot.EMPTY : jwks;
    remoteJwksCluster = remoteJwksCluster == null ? RemoteJwksCluster::outboundClusterFor : remoteJwksCluster;
  }

  public static AuthzOptions defaults() {
    return new AuthzOptions(Map.of(), false, DEFAULT_CLOCK_SKEW_SECONDS, JwksSnapshot.EMPTY, null, false);
  }

  public AuthzOptions withExtAuthzProviders(ExtAuthzProvider... providers) {
    Map<String, ExtAuthzProvider> m = new java.util.TreeMap<>(extAuthzProviders);
    for (ExtAuthzProvider p : providers) {
      m.put(p.name(), p);
    }
    return new AuthzOptions(m, remoteJwks, clockSkewSeconds, jwks, remoteJwksCluster, multipleCustomProviders);
  }

  public AuthzOptions withJwks(JwksSnapshot snapshot) {
    return new AuthzOptions(extAuthzProviders, remoteJwks, clockSkewSeconds, Objects.requireNonNull(snapshot), remoteJwksCluster,
        multipleCustomProviders);
  }

  public AuthzOptions withRemoteJwks(boolean remote) {
    return new AuthzOptions(extAuthzProviders, remote, clockSkewSeconds, jwks, remoteJwksCluster, multipleCustomProviders);
  }

  public AuthzOptions withClockSkewSeconds(int seconds) {
    return new AuthzOptions(extAuthzProviders, remoteJwks, seconds, jwks, remoteJwksCluster, multipleCustomProviders);
  }

  /** {@code cluster} null for a URI = Gatehouse inlines its key set instead of sending remote_jwks. */
  public AuthzOptions withRemoteJwksCluster(Function<java.net.URI, String> cluster) {
    return new AuthzOptions(extAuthzProviders, remoteJwks, clockSkewSeconds, jwks, cluster, multipleCustomProviders);
  }

  public AuthzOptions withMultipleCustomProviders(boolean allowed) {
    return new AuthzOptions(extAuthzProviders, remoteJwks, clockSkewSeconds, jwks, remoteJwksCluster, allowed);
  }
}
