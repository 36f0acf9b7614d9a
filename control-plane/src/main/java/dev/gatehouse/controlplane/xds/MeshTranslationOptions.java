package dev.gatehouse.controlplane.xds;

import dev.gatehouse.controlplane.xds.XdsProperties.EnvoyExtAuthz;
import dev.gatehouse.controlplane.xds.XdsProperties.ExtensionProvider;
import dev.gatehouse.controlplane.xds.XdsProperties.JwksMode;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authz.AuthzOptions;
import dev.gatehouse.xds.authz.ExtAuthzProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link XdsProperties} as translation options and JWKS fetch timings. Every value is checked here, at startup: a
 * bad one fails the start with an {@link IllegalArgumentException} naming the property, rather than being ignored
 * (a mistyped provider would otherwise make its CUSTOM policies deny everything, a mistyped port leave it in mTLS).
 */
public final class MeshTranslationOptions {
  private MeshTranslationOptions() {}

  /** The configured options, with no JWKS fetched yet. */
  public static TranslationOptions from(XdsProperties p) {
    Set<Integer> ports = new TreeSet<>();
    for (Integer port : p.plaintextInboundPorts()) {
      if (port == null || port < 1 || port > 65535) {
        throw new IllegalArgumentException("gatehouse.xds.plaintext-inbound-ports: not a port: " + port);
      }
      ports.add(port);
    }
    AuthzOptions authz = AuthzOptions.defaults()
        .withRemoteJwks(p.jwks().mode() == JwksMode.REMOTE)
        .withClockSkewSeconds(clockSkewSeconds(p.jwks().clockSkew()));
    authz = authz.withExtAuthzProviders(extAuthzProviders(p.extensionProviders()).toArray(ExtAuthzProvider[]::new))
        .withMultipleCustomProviders(p.multipleCustomAuthzProviders());
    return TranslationOptions.defaults().withPlaintextInboundPorts(ports).withAuthz(authz);
  }

  public static JwksResolver.Timings timings(XdsProperties.Jwks j) {
    positive("fetch-timeout", j.fetchTimeout());
    positive("refresh-interval", j.refreshInterval());
    positive("retry-interval", j.retryInterval());
    positive("first-retry", j.firstRetry());
    return new JwksResolver.Timings(j.fetchTimeout(), j.refreshInterval(), j.retryInterval(), j.firstRetry());
  }

  static int clockSkewSeconds(Duration d) {
    if (d == null || d.isNegative() || d.getNano() != 0 || d.getSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("gatehouse.xds.jwks.clock-skew must be whole seconds >= 0: " + d);
    }
    return (int) d.getSeconds();
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("gatehouse.xds.jwks." + name + " must be positive: " + d);
    }
  }

  static List<ExtAuthzProvider> extAuthzProviders(List<ExtensionProvider> providers) {
    List<ExtAuthzProvider> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < providers.size(); i++) {
      ExtensionProvider p = providers.get(i);
      String where = "gatehouse.xds.extension-providers[" + i + "]";
      if (p.name() == null || p.name().isBlank()) {
        throw new IllegalArgumentException(where + ": name is required");
      }
      where += " (" + p.name() + ")";
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(where + ": duplicate name");
      }
      if ((p.envoyExtAuthzGrpc() == null) == (p.envoyExtAuthzHttp() == null)) {
        throw new IllegalArgumentException(where + ": set exactly one of envoy-ext-authz-grpc, envoy-ext-authz-http");
      }
      boolean grpc = p.envoyExtAuthzGrpc() != null;
      EnvoyExtAuthz e = grpc ? p.envoyExtAuthzGrpc() : p.envoyExtAuthzHttp();
      where += grpc ? ".envoy-ext-authz-grpc" : ".envoy-ext-authz-http";
      if (e.service() == null || e.service().isBlank()) {
        throw new IllegalArgumentException(where + ".service is required");
      }
      // Istio accepts "<namespace>/<host>"; the namespace only disambiguates the lookup, the host names the cluster.
      String host = e.service().substring(e.service().indexOf('/') + 1);
      if (host.isBlank()) {
        throw new IllegalArgumentException(where + ".service has no host: " + e.service());
      }
      if (e.port() == null || e.port() < 1 || e.port() > 65535) {
        throw new IllegalArgumentException(where + ".port is required (1-65535): " + e.port());
      }
      if (e.timeout() != null && (e.timeout().isNegative() || e.timeout().isZero())) {
        throw new IllegalArgumentException(where + ".timeout must be positive: " + e.timeout());
      }
      int status = 0;
      if (e.statusOnError() != null && !e.statusOnError().isBlank()) {
        try {
          status = Integer.parseInt(e.statusOnError().trim());
        } catch (NumberFormatException ex) {
          status = -1;
        }
        if (status < 100 || status > 599) {
          throw new IllegalArgumentException(where + ".status-on-error is not an HTTP status: " + e.statusOnError());
        }
      }
      if (grpc && (e.pathPrefix() != null || e.includeRequestHeadersInCheck() != null
          || e.headersToUpstreamOnAllow() != null || e.headersToDownstreamOnDeny() != null
          || e.headersToDownstreamOnAllow() != null || e.includeAdditionalHeadersInCheck() != null)) {
        throw new IllegalArgumentException(where + ": path-prefix and header lists are for envoy-ext-authz-http only");
      }
      ExtAuthzProvider.RequestBody body = null;
      if (e.includeRequestBodyInCheck() != null) {
        Integer max = e.includeRequestBodyInCheck().maxRequestBytes();
        if (max == null || max <= 0) {
          throw new IllegalArgumentException(
              where + ".include-request-body-in-check.max-request-bytes is required (> 0): " + max);
        }
        body = new ExtAuthzProvider.RequestBody(max, e.includeRequestBodyInCheck().allowPartialMessage(),
            e.includeRequestBodyInCheck().packAsBytes());
      }
      try {
        out.add(new ExtAuthzProvider(p.name(), grpc ? ExtAuthzProvider.Protocol.GRPC : ExtAuthzProvider.Protocol.HTTP,
            host, e.port(), e.timeout(), e.failOpen(), status, e.pathPrefix(), e.includeRequestHeadersInCheck(),
            e.headersToUpstreamOnAllow(), e.headersToDownstreamOnDeny(), e.headersToDownstreamOnAllow(),
            e.includeAdditionalHeadersInCheck(), body));
      } catch (IllegalArgumentException ex) {
        // The provider's own checks (header names, wildcards); say which property to fix.
        throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
      }
    }
    return out;
  }
}
