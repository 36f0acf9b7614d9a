package dev.gatehouse.xds.authz;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An external authorization service a CUSTOM AuthorizationPolicy may name (Istio: meshConfig.extensionProviders
 * {@code envoyExtAuthzGrpc} / {@code envoyExtAuthzHttp}). The service is reached through the outbound cluster
 * {@code outbound|<port>||<service>}, which the listener/cluster side must provide.
 *
 * <p>Header names in the three header lists may be exact ({@code x-user}), a prefix ({@code x-auth-*}) or a suffix
 * ({@code *-token}), always case-insensitive, as in Istio; a lone {@code *} is refused (Istio: "change it to either
 * prefix or suffix match").
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
 * @param headersToDownstreamOnAllow HTTP providers only: provider response headers copied downstream on allow
 * @param includeAdditionalHeadersInCheck HTTP providers only: headers (name to value) added to every check request
 * @param includeRequestBodyInCheck send the request body with the check (HTTP chains); null = no body
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
    List<String> headersToDownstreamOnDeny,
    List<String> headersToDownstreamOnAllow,
    Map<String, String> includeAdditionalHeadersInCheck,
    RequestBody includeRequestBodyInCheck) {

  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("^[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");

  /** How Envoy talks to the provider. */
  public enum Protocol {
    GRPC,
    HTTP
  }

  /**
   * Istio's {@code includeRequestBodyInCheck}, Envoy's ext_authz {@code with_request_body}.
   *
   * @param maxRequestBytes bytes of body buffered for the check (> 0); beyond it Envoy answers 413 unless
   *     {@code allowPartialMessage}
   * @param allowPartialMessage send what fits instead of answering 413
   * @param packAsBytes gRPC providers: the body as raw bytes ({@code raw_body}) instead of a UTF-8 string
   */
  public record RequestBody(int maxRequestBytes, boolean allowPartialMessage, boolean packAsBytes) {
    public RequestBody {
      if (maxRequestBytes <= 0) {
        throw new IllegalArgumentException("includeRequestBodyInCheck.maxRequestBytes must be > 0: " + maxRequestBytes);
      }
    }
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
    includeRequestHeadersInCheck = headerNames(name, "includeRequestHeadersInCheck", includeRequestHeadersInCheck);
    headersToUpstreamOnAllow = headerNames(name, "headersToUpstreamOnAllow", headersToUpstreamOnAllow);
    headersToDownstreamOnDeny = headerNames(name, "headersToDownstreamOnDeny", headersToDownstreamOnDeny);
    headersToDownstreamOnAllow = headerNames(name, "headersToDownstreamOnAllow", headersToDownstreamOnAllow);
    if (includeAdditionalHeadersInCheck == null) {
      includeAdditionalHeadersInCheck = Map.of();
    }
    includeAdditionalHeadersInCheck.forEach((header, value) -> {
      // Envoy's HeaderValue rules (HTTP_HEADER_NAME / HTTP_HEADER_VALUE): a bad one would NACK the listener.
      if (header == null || !HEADER_NAME.matcher(header).matches()) {
        throw new IllegalArgumentException(
            "ext_authz provider " + name + ": includeAdditionalHeadersInCheck: not a header name: " + header);
      }
      if (value == null || value.indexOf('\0') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException(
            "ext_authz provider " + name + ": includeAdditionalHeadersInCheck: bad value for " + header);
      }
    });
    includeAdditionalHeadersInCheck = Map.copyOf(includeAdditionalHeadersInCheck);
  }

  private static List<String> headerNames(String provider, String field, List<String> names) {
    if (names == null) {
      return List.of();
    }
    for (String n : names) {
      if (n == null || n.isEmpty()) {
        throw new IllegalArgumentException("ext_authz provider " + provider + ": " + field + ": empty header name");
      }
      if (n.equals("*")) {
        throw new IllegalArgumentException("ext_authz provider " + provider + ": " + field
            + ": a single wildcard (\"*\") is not supported, use a prefix (\"x-*\") or suffix (\"*-id\") match");
      }
    }
    return List.copyOf(names);
  }

  /** A gRPC provider with Istio's defaults. */
  public static ExtAuthzProvider grpc(String name, String service, int port) {
    return new ExtAuthzProvider(name, Protocol.GRPC, service, port, null, false, 0, "", null, null, null, null, null, null);
  }

  /** An HTTP provider with Istio's defaults. */
  public static ExtAuthzProvider http(String name, String service, int port) {
    return new ExtAuthzProvider(name, Protocol.HTTP, service, port, null, false, 0, "", null, null, null, null, null, null);
  }

  /** Istio's outbound cluster name for the provider service. */
  public String clusterName() {
    return "outbound|" + port + "||" + service;
  }
}
