package dev.gatehouse.xds.authz;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * An external authorization service a CUSTOM AuthorizationPolicy may name (Istio: meshConfig.extensionProviders
 * {@code envoyExtAuthzGrpc} / {@code envoyExtAuthzHttp}). The service is reached through the outbound cluster
 * {@code outbound|<port>||<service>}, which the listener/cluster side must provide.
 *
 * @param name the provider name policies refer to in {@code spec.provider.name}
 * @param protocol GRPC (works on HTTP and TCP chains) or HTTP (HTTP chains only, as in Istio)
 * @param service the provider's FQDN, e.g. {@code ext-authz.foo.svc.cluster.local}
 * @param port the provider's service port
 * @param timeout per-check timeout; Istio's default is 600 s
 * @param failOpen allow the request when the provider cannot be reached (Istio: failOpen, default false)
 * @param statusOnError HTTP status when the provider errors; 0 = Envoy's default (403)
 * @param pathPrefix HTTP providers only: prefix added to the check request path
 * @param includeRequestHeadersInCheck HTTP providers only: request headers sent to the provider
 * @param headersToUpstreamOnAllow HTTP providers only: provider response headers copied upstream on allow
 * @param headersToDownstreamOnDeny HTTP providers only: provider response headers copied downstream on deny
 */
public record ExtAuthzProvider(
    String name,
    Protocol protocol,
    String service,
    int port,
    Duration timeout,
    boolean failOpen,
    int statusOnError,
    String pathPrefix,
    List<String> includeRequestHeadersInCheck,
    List<String> headersToUpstreamOnAllow,
    List<String> headersToDownstreamOnDeny) {

  /** How Envoy talks to the provider. */
  public enum Protocol {
    GRPC,
    HTTP
  }

  public ExtAuthzProvider {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(service, "service");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("ext_authz provider " + name + ": port out of range: " + port);
    }
    timeout = timeout == null ? Duration.ofSeconds(600) : timeout;
    pathPrefix = pathPrefix == null ? "" : pathPrefix;
    includeRequestHeadersInCheck = includeRequestHeadersInCheck == null ? List.of() : List.copyOf(includeRequestHeadersInCheck);
    headersToUpstreamOnAllow = headersToUpstreamOnAllow == null ? List.of() : List.copyOf(headersToUpstreamOnAllow);
    headersToDownstreamOnDeny = headersToDownstreamOnDeny == null ? List.of() : List.copyOf(headersToDownstreamOnDeny);
  }

  /** A gRPC provider with Istio's defaults. */
  public static ExtAuthzProvider grpc(String name, String service, int port) {
    return new ExtAuthzProvider(name, Protocol.GRPC, service, port, null, false, 0, "", null, null, null);
  }

  /** An HTTP provider with Istio's defaults. */
  public static ExtAuthzProvider http(String name, String service, int port) {
    return new ExtAuthzProvider(name, Protocol.HTTP, service, port, null, false, 0, "", null, null, null);
  }

  /** Istio's outbound cluster name for the provider service. */
  public String clusterName() {
    return "outbound|" + port + "||" + service;
  }
}
