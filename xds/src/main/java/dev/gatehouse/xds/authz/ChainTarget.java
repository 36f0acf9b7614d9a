package dev.gatehouse.xds.authz;

import dev.gatehouse.xds.ProxyKind;

/** The kind of filter chain a policy is translated for; what each can evaluate decides which conditions apply. */
enum ChainTarget {
  /** Envoy sidecar, HTTP connection manager: everything. */
  SIDECAR_HTTP(true, true, true),
  /**
   * Envoy sidecar, plain TCP chain (network RBAC): connection attributes, plus the dynamic metadata of other
   * network filters ({@code experimental.envoy.filters.*}), which Istio keeps on TCP chains.
   */
  SIDECAR_TCP(false, false, true),
  /**
   * grpc-java xDS server: HTTP attributes, but no jwt_authn (so no JWT payload metadata) and its RBAC parser
   * rejects metadata and uri_template matchers (it NACKs the whole listener), so those are unavailable.
   */
  PROXYLESS_HTTP(true, false, false);

  private final boolean http;
  private final boolean jwtMetadata;
  private final boolean envoyOnlyMatchers;

  ChainTarget(boolean http, boolean jwtMetadata, boolean envoyOnlyMatchers) {
    this.http = http;
    this.jwtMetadata = jwtMetadata;
    this.envoyOnlyMatchers = envoyOnlyMatchers;
  }

  static ChainTarget of(ProxyKind kind, boolean http) {
    if (kind == ProxyKind.PROXYLESS_GRPC) {
      return PROXYLESS_HTTP;
    }
    return http ? SIDECAR_HTTP : SIDECAR_TCP;
  }

  boolean tcp() {
    return !http;
  }

  boolean proxyless() {
    return this == PROXYLESS_HTTP;
  }

  /** Istio: hosts, methods, paths, request.headers ... exist only on HTTP chains. */
  void requireHttp(String key) throws Unavailable {
    if (!http) {
      throw new Unavailable("\"" + key + "\" is HTTP only");
    }
  }

  /** requestPrincipals and request.auth.* read the payload jwt_authn writes into dynamic metadata. */
  void requireJwt(String key) throws Unavailable {
    requireHttp(key);
    if (!jwtMetadata) {
      throw new Unavailable("\"" + key + "\" needs jwt_authn, which proxyless gRPC does not implement");
    }
  }

  /**
   * Matchers only Envoy implements (uri_template, dynamic metadata of other filters); Envoy has them on HTTP and TCP
   * chains alike, only proxyless gRPC lacks them.
   */
  void requireEnvoy(String key) throws Unavailable {
    if (!envoyOnlyMatchers) {
      throw new Unavailable("\"" + key + "\" needs a matcher proxyless gRPC's RBAC does not support");
    }
  }
}
