package dev.gatehouse.controlplane.xds;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code gatehouse.xds.*}: the ADS server's tuning and the mesh-level translation options Istio keeps in MeshConfig
 * or pilot environment variables. Turned into {@link dev.gatehouse.xds.TranslationOptions} by
 * {@link MeshTranslationOptions}, which rejects bad values at startup with a message naming the property.
 *
 * @param nackBackoff how long a NACKed config version is held back before it is sent once more (a config change
 *     supersedes it at once); java-control-plane's default is to re-send immediately, a NACK storm
 * @param pushThrottle threads computing and handing out configs on a push; 0 = Istio's PILOT_PUSH_THROTTLE default,
 *     min(15 + 5 x cores, 100)
 * @param jwks how {@code jwksUri}s of RequestAuthentications are resolved, and the JWT clock skew
 * @param plaintextInboundPorts inbound ports always left plaintext whatever PeerAuthentication says (kubelet health
 *     probes, Prometheus scrapes); each use is reported as a translation notice
 * @param extensionProviders ext_authz services CUSTOM AuthorizationPolicies may name (Istio:
 *     {@code meshConfig.extensionProviders})
 * @param multipleCustomAuthzProviders false (default, Istio's): a workload whose CUSTOM policies name two providers
 *     denies what any of them would have judged; true: each provider checks its own rules (Istio 1.30+
 *     {@code PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS=true})
 * @param responseBudget bytes of xDS responses all streams together may have handed to gRPC and not yet written to
 *     the network (they sit in direct memory meanwhile); a stream finding it spent waits, first come first served
 *     (default 64MB; size {@code -XX:MaxDirectMemorySize} above it)
 * @param stallAfter after how long a stream whose proxy does not read has its bytes written off the budget, so that
 *     stuck proxies cannot hold the others back (default 10s)
 * @param initialConfigThreads threads computing the first config of newly connected proxies in a connect storm;
 *     0 = the number of cores, at least 2
 */
@ConfigurationProperties("gatehouse.xds")
public record XdsProperties(
    @DefaultValue("30s") Duration nackBackoff,
    @DefaultValue("0") int pushThrottle,
    @DefaultValue Jwks jwks,
    List<Integer> plaintextInboundPorts,
    List<ExtensionProvider> extensionProviders,
    @DefaultValue("false") boolean multipleCustomAuthzProviders,
    @DefaultValue("64MB") DataSize responseBudget,
    @DefaultValue("10s") Duration stallAfter,
    @DefaultValue("0") int initialConfigThreads) {

  public XdsProperties {
    if (responseBudget == null || responseBudget.toBytes() < 1) {
      throw new IllegalArgumentException("gatehouse.xds.response-budget must be at least 1 byte: " + responseBudget);
    }
    if (stallAfter == null || stallAfter.isNegative()) {
      throw new IllegalArgumentException("gatehouse.xds.stall-after must not be negative: " + stallAfter);
    }
    if (initialConfigThreads < 0) {
      throw new IllegalArgumentException(
          "gatehouse.xds.initial-config-threads must be 0 (the number of cores) or more: " + initialConfigThreads);
    }
    plaintextInboundPorts = plaintextInboundPorts == null ? List.of() : List.copyOf(plaintextInboundPorts);
    extensionProviders = extensionProviders == null ? List.of() : List.copyOf(extensionProviders);
  }

  /** Where the key set of a {@code jwksUri} comes from. */
  public enum JwksMode {
    /** Gatehouse fetches it and inlines it as {@code local_jwks} (Istio's default, PILOT_JWT_ENABLE_REMOTE_JWKS=false). */
    INLINE,
    /**
     * Envoy fetches it itself ({@code remote_jwks}, refreshed every 20 min) when the URI's host is a mesh service;
     * other URIs are fetched by Gatehouse and inlined, as Istio's "hybrid" mode.
     */
    REMOTE
  }

  /**
   * {@code gatehouse.xds.jwks.*}.
   *
   * @param mode {@code inline} (default) or {@code remote}
   * @param fetchTimeout per fetch (Istio: 5 s)
   * @param refreshInterval re-fetch after a success (Istio's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL, 20 min)
   * @param retryInterval re-fetch after a failure once a key set is known; cap of the first-fetch backoff (1 min)
   * @param firstRetry first retry while a URI has never been fetched, doubling up to {@code retryInterval}
   * @param clockSkew jwt_authn {@code clock_skew_seconds} (whole seconds; Envoy's default of 60 s, which Istio does
   *     not expose)
   */
  public record Jwks(
      @DefaultValue("inline") JwksMode mode,
      @DefaultValue("5s") Duration fetchTimeout,
      @DefaultValue("20m") Duration refreshInterval,
      @DefaultValue("1m") Duration retryInterval,
      @DefaultValue("1s") Duration firstRetry,
      @DefaultValue("60s") Duration clockSkew) {

    public static Jwks defaults() {
      return new Jwks(JwksMode.INLINE, Duration.ofSeconds(5), Duration.ofMinutes(20), Duration.ofMinutes(1),
          Duration.ofSeconds(1), Duration.ofSeconds(60));
    }
  }

  /**
   * One entry of {@code gatehouse.xds.extension-providers}, shaped like Istio's
   * {@code meshConfig.extensionProviders[]}: a name and exactly one of {@code envoy-ext-authz-grpc} /
   * {@code envoy-ext-authz-http} (camelCase keys as in Istio's YAML bind too).
   */
  public record ExtensionProvider(String name, EnvoyExtAuthz envoyExtAuthzGrpc, EnvoyExtAuthz envoyExtAuthzHttp) {}

  /**
   * Istio's {@code EnvoyExternalAuthorizationGrpcProvider} / {@code ...HttpProvider} fields Gatehouse supports.
   *
   * @param service FQDN of the provider's service ({@code [<namespace>/]<host>} as in Istio; the host is used)
   * @param port its service port
   * @param timeout per check; Istio's default 600 s
   * @param failOpen allow the request when the provider cannot be reached (default false)
   * @param statusOnError HTTP status returned when the provider errors; empty = 403
   * @param pathPrefix HTTP only: prefix of the check request path
   * @param includeRequestHeadersInCheck HTTP only: request headers sent to the provider
   * @param headersToUpstreamOnAllow HTTP only: provider response headers copied upstream on allow
   * @param headersToDownstreamOnDeny HTTP only: provider response headers copied downstream on deny
   * @param headersToDownstreamOnAllow HTTP only: provider response headers copied downstream on allow
   * @param includeAdditionalHeadersInCheck HTTP only: headers (name: value) added to every check request
   * @param includeRequestBodyInCheck send the request body with the check (HTTP chains)
   *
   * <p>Header names in the lists may be exact, {@code prefix*} or {@code *suffix} (case-insensitive), as in Istio.
   */
  public record EnvoyExtAuthz(
      String service,
      Integer port,
      Duration timeout,
      boolean failOpen,
      String statusOnError,
      String pathPrefix,
      List<String> includeRequestHeadersInCheck,
      List<String> headersToUpstreamOnAllow,
      List<String> headersToDownstreamOnDeny,
      List<String> headersToDownstreamOnAllow,
      Map<String, String> includeAdditionalHeadersInCheck,
      RequestBody includeRequestBodyInCheck) {}

  /**
   * Istio's {@code EnvoyExternalAuthorizationRequestBody}.
   *
   * @param maxRequestBytes bytes of body held for the check (required, > 0); a larger body gets 413
   * @param allowPartialMessage send the first {@code maxRequestBytes} instead of answering 413
   * @param packAsBytes gRPC providers: send the body as raw bytes instead of a UTF-8 string
   */
  public record RequestBody(Integer maxRequestBytes, boolean allowPartialMessage, boolean packAsBytes) {}
}
