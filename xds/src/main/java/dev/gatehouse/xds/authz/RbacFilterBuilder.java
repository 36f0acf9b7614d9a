package dev.gatehouse.xds.authz;

import com.google.protobuf.Any;
import dev.gatehouse.xds.authz.AuthorizationPolicyTranslation.Kind;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Composes the RBAC and ext_authz filters for one set of applicable AuthorizationPolicies (Istio authz/builder):
 * CUSTOM first (an RBAC filter in shadow mode whose matches enable ext_authz), then RBAC LOG (AUDIT), RBAC DENY,
 * RBAC ALLOW. Dry-run policies go to {@code shadow_rules}. Stateless.
 */
final class RbacFilterBuilder {
  static final String HTTP_RBAC = "envoy.filters.http.rbac";
  static final String NETWORK_RBAC = "envoy.filters.network.rbac";
  static final String HTTP_EXT_AUTHZ = "envoy.filters.http.ext_authz";
  static final String NETWORK_EXT_AUTHZ = "envoy.filters.network.ext_authz";
  static final String TCP_STAT_PREFIX = "tcp.";
  static final String DRY_RUN_ALLOW_PREFIX = "istio_dry_run_allow_";
  static final String DRY_RUN_DENY_PREFIX = "istio_dry_run_deny_";
  static final String EXT_AUTHZ_SHADOW_PREFIX = "istio_ext_authz_";
  static final String EXT_AUTHZ_MATCH_PREFIX = "istio-ext-authz";
  static final String BAD_CUSTOM_SUFFIX = "-deny-due-to-bad-CUSTOM-action";
  static final String BAD_CUSTOM_DENY_ALL = "default-deny-all-due-to-bad-CUSTOM-action";

  private RbacFilterBuilder() {}

  /** One built RBAC config: enforced rules and dry-run rules, either may be null. */
  record Rules(RBAC enforce, RBAC shadow) {}

  // ---- ALLOW / DENY / AUDIT -------------------------------------------------------------------------------------

  static List<HttpFilter> rbacHttp(List<AuthorizationPolicyTranslation> policies, ChainTarget target) {
    List<HttpFilter> out = new ArrayList<>();
    for (Kind kind : List.of(Kind.AUDIT, Kind.DENY, Kind.ALLOW)) {
      if (kind == Kind.AUDIT && target.proxyless()) {
        continue; // grpc-java treats action LOG as a no-op filter; nothing to send.
      }
      Rules r = rules(policies, kind, target);
      if (r != null) {
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.Builder rbac =
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder();
        if (r.enforce() != null) {
          rbac.setRules(r.enforce());
        }
        if (r.shadow() != null) {
          rbac.setShadowRules(r.shadow()).setShadowRulesStatPrefix(shadowPrefix(kind));
        }
        String role = kind.name().toLowerCase(java.util.Locale.ROOT);
        out.add(httpFilter(httpRbacName(target, role), Any.pack(rbac.build())));
      }
    }
    return out;
  }

  /**
   * Envoy accepts several HTTP filters with the same name (Istio names all of them envoy.filters.http.rbac, and
   * tools rely on it), but grpc-java NACKs a connection manager with duplicate filter names; proxyless servers get
   * distinct names ("envoy.filters.http.rbac/deny"). grpc-java picks the implementation by config type, not name.
   */
  static String httpRbacName(ChainTarget target, String role) {
    return target.proxyless() ? HTTP_RBAC + "/" + role : HTTP_RBAC;
  }

  static List<Filter> rbacTcp(List<AuthorizationPolicyTranslation> policies, ChainTarget target) {
    List<Filter> out = new ArrayList<>();
    for (Kind kind : List.of(Kind.AUDIT, Kind.DENY, Kind.ALLOW)) {
      Rules r = rules(policies, kind, target);
      if (r != null) {
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.Builder rbac =
            io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder().setStatPrefix(TCP_STAT_PREFIX);
        if (r.enforce() != null) {
          rbac.setRules(r.enforce());
        }
        if (r.shadow() != null) {
          rbac.setShadowRules(r.shadow()).setShadowRulesStatPrefix(shadowPrefix(kind));
        }
        out.add(networkFilter(NETWORK_RBAC, Any.pack(rbac.build())));
      }
    }
    return out;
  }

  private static String shadowPrefix(Kind kind) {
    return switch (kind) {
      case ALLOW -> DRY_RUN_ALLOW_PREFIX;
      case DENY -> DRY_RUN_DENY_PREFIX;
      default -> "";
    };
  }

  /** Istio Builder.build for one action; null when no policy of that action applies. */
  static Rules rules(List<AuthorizationPolicyTranslation> policies, Kind kind, ChainTarget target) {
    RBAC.Action action = AuthorizationPolicyTranslation.envoyAction(kind);
    Map<String, Policy> enforce = new LinkedHashMap<>();
    Map<String, Policy> shadow = new LinkedHashMap<>();
    boolean hasEnforce = false;
    boolean hasShadow = false;
    for (AuthorizationPolicyTranslation p : policies) {
      if (p.kind() != kind) {
        continue;
      }
      boolean dryRun = p.dryRun();
      if (dryRun && target.proxyless()) {
        continue; // grpc-java ignores shadow_rules; dry-run policies have no effect there.
      }
      Map<String, Policy> into = dryRun ? shadow : enforce;
      if (dryRun) {
        hasShadow = true;
      } else {
        hasEnforce = true;
      }
      if (p.failed()) {
        // Fail closed: ALLOW matches nothing; DENY (and unknown actions) deny everything; AUDIT logs everything.
        into.put(p.ruleName("", 0), kind == Kind.ALLOW ? RbacPolicies.MATCH_NEVER : RbacPolicies.MATCH_ALL);
      } else {
        into.putAll(p.rbacPolicies(target, ""));
      }
    }
    if (!hasEnforce && !hasShadow) {
      return null;
    }
    return new Rules(
        hasEnforce ? RBAC.newBuilder().setAction(action).putAllPolicies(enforce).build() : null,
        hasShadow ? RBAC.newBuilder().setAction(action).putAllPolicies(shadow).build() : null);
  }

  // ---- CUSTOM ---------------------------------------------------------------------------------------------------

  /** The CUSTOM filters of an HTTP chain (RBAC shadow + ext_authz per provider, or deny rules when that fails). */
  static List<HttpFilter> customHttp(
      List<AuthorizationPolicyTranslation> policies, ChainTarget target, AuthzOptions options) {
    List<HttpFilter> out = new ArrayList<>();
    Map<String, Policy> denyAll = failedCustom(policies);
    if (!denyAll.isEmpty()) {
      out.add(httpFilter(httpRbacName(target, "custom-deny-all"), Any.pack(httpRbac(denyRbac(denyAll)))));
    }
    boolean conflict = providersConflict(policies, options);
    for (Map.Entry<String, Map<String, Policy>> e : customRulesByProvider(policies, target).entrySet()) {
      String providerName = e.getKey();
      ExtAuthzProvider provider = conflict ? null : options.extAuthzProviders().get(providerName);
      if (provider == null || target.proxyless()) {
        // Istio: an unknown provider, or several providers on one workload, turn the CUSTOM rules into DENY
        // rules. Gatehouse does the same on proxyless gRPC, which has no server-side ext_authz: what the provider
        // would have judged is denied.
        out.add(
            httpFilter(httpRbacName(target, "custom-" + providerName), Any.pack(httpRbac(badCustomDeny(e.getValue())))));
        continue;
      }
      RBAC shadow = RBAC.newBuilder().setAction(RBAC.Action.DENY).putAllPolicies(e.getValue()).build();
      out.add(
          httpFilter(
              HTTP_RBAC,
              Any.pack(
                  io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder()
                      .setShadowRules(shadow)
                      .setShadowRulesStatPrefix(EXT_AUTHZ_SHADOW_PREFIX)
                      .build())));
      out.add(httpFilter(HTTP_EXT_AUTHZ, Any.pack(httpExtAuthz(provider))));
    }
    return out;
  }

  /** The CUSTOM filters of a TCP chain; HTTP providers cannot check TCP and are skipped, as in Istio. */
  static List<Filter> customTcp(
      List<AuthorizationPolicyTranslation> policies, ChainTarget target, AuthzOptions options) {
    List<Filter> out = new ArrayList<>();
    Map<String, Policy> denyAll = failedCustom(policies);
    if (!denyAll.isEmpty()) {
      out.add(networkFilter(NETWORK_RBAC, Any.pack(tcpRbac(denyRbac(denyAll)))));
    }
    boolean conflict = providersConflict(policies, options);
    for (Map.Entry<String, Map<String, Policy>> e : customRulesByProvider(policies, target).entrySet()) {
      ExtAuthzProvider provider = conflict ? null : options.extAuthzProviders().get(e.getKey());
      if (provider == null) {
        // Checked before the HTTP-provider skip, as in Istio: with several providers even an HTTP provider's
        // rules deny on TCP.
        out.add(networkFilter(NETWORK_RBAC, Any.pack(tcpRbac(badCustomDeny(e.getValue())))));
        continue;
      }
      if (provider.protocol() == ExtAuthzProvider.Protocol.HTTP) {
        continue;
      }
      RBAC shadow = RBAC.newBuilder().setAction(RBAC.Action.DENY).putAllPolicies(e.getValue()).build();
      out.add(
          networkFilter(
              NETWORK_RBAC,
              Any.pack(
                  io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder()
                      .setStatPrefix(TCP_STAT_PREFIX)
                      .setShadowRules(shadow)
                      .setShadowRulesStatPrefix(EXT_AUTHZ_SHADOW_PREFIX)
                      .build())));
      out.add(
          networkFilter(
              NETWORK_EXT_AUTHZ,
              Any.pack(
                  io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.newBuilder()
                      .setStatPrefix(TCP_STAT_PREFIX)
                      .setFailureModeAllow(provider.failOpen())
                      .setTransportApiVersion(ApiVersion.V3)
                      .setGrpcService(grpcService(provider))
                      .setFilterEnabledMetadata(filterEnabled(NETWORK_RBAC, provider.name()))
                      .build())));
    }
    return out;
  }

  /**
   * The providers named by the CUSTOM policies that apply to one workload (dry-run ones included, as Istio counts
   * them), sorted. Failed policies are left out: they already deny everything.
   */
  static java.util.SortedSet<String> customProviders(List<AuthorizationPolicyTranslation> policies) {
    java.util.SortedSet<String> out = new java.util.TreeSet<>();
    for (AuthorizationPolicyTranslation p : policies) {
      if (p.kind() == Kind.CUSTOM && !p.failed()) {
        out.add(p.provider());
      }
    }
    return out;
  }

  /**
   * Istio allows one CUSTOM provider per workload (unless PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS): with two,
   * none is used and every CUSTOM rule of the workload denies, including those of a valid provider.
   */
  static boolean providersConflict(List<AuthorizationPolicyTranslation> policies, AuthzOptions options) {
    return !options.multipleCustomProviders() && customProviders(policies).size() > 1;
  }

  private static Map<String, Policy> failedCustom(List<AuthorizationPolicyTranslation> policies) {
    Map<String, Policy> out = new LinkedHashMap<>();
    for (AuthorizationPolicyTranslation p : policies) {
      if (p.kind() == Kind.CUSTOM && p.failed() && !p.dryRun()) {
        out.put(
            "ns[" + p.key().namespace() + "]-policy[" + p.key().name() + "]-" + BAD_CUSTOM_DENY_ALL,
            RbacPolicies.MATCH_ALL);
      }
    }
    return out;
  }

  /**
   * Rules of the enforced (not dry-run) CUSTOM policies per provider, sorted by provider name. Dry-run CUSTOM
   * policies are not sent to the provider and have no effect.
   */
  private static Map<String, Map<String, Policy>> customRulesByProvider(
      List<AuthorizationPolicyTranslation> policies, ChainTarget target) {
    Map<String, Map<String, Policy>> out = new TreeMap<>();
    for (AuthorizationPolicyTranslation p : policies) {
      if (p.kind() != Kind.CUSTOM || p.failed() || p.dryRun()) {
        continue;
      }
      String prefix = EXT_AUTHZ_MATCH_PREFIX + "-" + p.provider() + "-";
      out.computeIfAbsent(p.provider(), k -> new LinkedHashMap<>()).putAll(p.rbacPolicies(target, prefix));
    }
    return out;
  }

  private static RBAC badCustomDeny(Map<String, Policy> rules) {
    Map<String, Policy> renamed = new LinkedHashMap<>();
    rules.forEach((k, v) -> renamed.put(k + BAD_CUSTOM_SUFFIX, v));
    return denyRbac(renamed);
  }

  private static RBAC denyRbac(Map<String, Policy> policies) {
    return RBAC.newBuilder().setAction(RBAC.Action.DENY).putAllPolicies(policies).build();
  }

  private static io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC httpRbac(RBAC rules) {
    return io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build();
  }

  private static io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC tcpRbac(RBAC rules) {
    return io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder()
        .setRules(rules)
        .setStatPrefix(TCP_STAT_PREFIX)
        .build();
  }

  /**
   * ext_authz runs only when the shadow RBAC matched a rule of this provider (Istio filter_enabled_metadata). The
   * prefix ends with "-" so that provider "opa" does not also fire for the rules of a provider named "opa2".
   */
  static MetadataMatcher filterEnabled(String rbacFilter, String provider) {
    return MetadataMatcher.newBuilder()
        .setFilter(rbacFilter)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(EXT_AUTHZ_SHADOW_PREFIX + "shadow_effective_policy_id"))
        .setValue(
            ValueMatcher.newBuilder()
                .setStringMatch(StringMatcher.newBuilder().setPrefix(EXT_AUTHZ_MATCH_PREFIX + "-" + provider + "-")))
        .build();
  }

  private static GrpcService grpcService(ExtAuthzProvider p) {
    return GrpcService.newBuilder()
        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(p.clusterName()).setAuthority(p.service()))
        .setTimeout(duration(p.timeout()))
        .build();
  }

  private static ExtAuthz httpExtAuthz(ExtAuthzProvider p) {
    ExtAuthz.Builder b =
        ExtAuthz.newBuilder()
            .setTransportApiVersion(ApiVersion.V3)
            .setFailureModeAllow(p.failOpen())
            .setFilterEnabledMetadata(filterEnabled(HTTP_RBAC, p.name()));
    if (p.statusOnError() != 0) {
      b.setStatusOnError(HttpStatus.newBuilder().setCodeValue(p.statusOnError()));
    }
    if (p.includeRequestBodyInCheck() != null) {
      ExtAuthzProvider.RequestBody body = p.includeRequestBodyInCheck();
      b.setWithRequestBody(
          BufferSettings.newBuilder()
              .setMaxRequestBytes(body.maxRequestBytes())
              .setAllowPartialMessage(body.allowPartialMessage())
              .setPackAsBytes(body.packAsBytes()));
    }
    if (p.protocol() == ExtAuthzProvider.Protocol.GRPC) {
      return b.setGrpcService(grpcService(p)).build();
    }
    HttpService.Builder http =
        HttpService.newBuilder()
            .setPathPrefix(p.pathPrefix())
            .setServerUri(
                HttpUri.newBuilder()
                    .setUri("http://" + p.service())
                    .setCluster(p.clusterName())
                    .setTimeout(duration(p.timeout())));
    if (!p.includeAdditionalHeadersInCheck().isEmpty()) {
      // Sorted by name, as Istio does, so the config (and its hash) does not depend on map order.
      AuthorizationRequest.Builder req = AuthorizationRequest.newBuilder();
      new TreeMap<>(p.includeAdditionalHeadersInCheck())
          .forEach((k, v) -> req.addHeadersToAdd(HeaderValue.newBuilder().setKey(k).setValue(v)));
      http.setAuthorizationRequest(req);
    }
    if (!p.headersToUpstreamOnAllow().isEmpty() || !p.headersToDownstreamOnDeny().isEmpty()
        || !p.headersToDownstreamOnAllow().isEmpty()) {
      AuthorizationResponse.Builder resp = AuthorizationResponse.newBuilder();
      if (!p.headersToUpstreamOnAllow().isEmpty()) {
        resp.setAllowedUpstreamHeaders(headerList(p.headersToUpstreamOnAllow()));
      }
      if (!p.headersToDownstreamOnDeny().isEmpty()) {
        resp.setAllowedClientHeaders(headerList(p.headersToDownstreamOnDeny()));
      }
      if (!p.headersToDownstreamOnAllow().isEmpty()) {
        resp.setAllowedClientHeadersOnSuccess(headerList(p.headersToDownstreamOnAllow()));
      }
      http.setAuthorizationResponse(resp);
    }
    b.setHttpService(http);
    if (!p.includeRequestHeadersInCheck().isEmpty()) {
      b.setAllowedHeaders(headerList(p.includeRequestHeadersInCheck()));
    }
    return b.build();
  }

  /** Istio generateHeaders: "*x" a suffix, "x*" a prefix, else exact; header names compare case-insensitively. */
  static ListStringMatcher headerList(List<String> headers) {
    ListStringMatcher.Builder l = ListStringMatcher.newBuilder();
    for (String h : headers) {
      StringMatcher.Builder m = StringMatcher.newBuilder().setIgnoreCase(true);
      if (h.startsWith("*")) {
        m.setSuffix(h.substring(1));
      } else if (h.endsWith("*")) {
        m.setPrefix(h.substring(0, h.length() - 1));
      } else {
        m.setExact(h);
      }
      l.addPatterns(m);
    }
    return l.build();
  }

  private static com.google.protobuf.Duration duration(java.time.Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  static HttpFilter httpFilter(String name, Any config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(config).build();
  }

  static Filter networkFilter(String name, Any config) {
    return Filter.newBuilder().setName(name).setTypedConfig(config).build();
  }
}
