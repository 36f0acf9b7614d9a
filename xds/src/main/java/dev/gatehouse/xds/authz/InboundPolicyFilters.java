package dev.gatehouse.xds.authz;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.authn.JwtAuthenticationBuilder;
import dev.gatehouse.xds.authn.RequestAuthenticationTranslation;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The inbound security filters of every workload in one snapshot: AuthorizationPolicy (RBAC, ext_authz) and
 * RequestAuthentication (jwt_authn), in Istio's order. Each policy is translated once, when this object is built;
 * workloads with the same namespace and labels share one applicable-policy set, and the filter lists are memoized
 * per (policy set, chain kind), so 2,000 workloads under the same policies share one list.
 *
 * <p>Thread-safe: immutable after {@link #build}, apart from concurrent memo maps.
 */
public final class InboundPolicyFilters {
  private final String rootNamespace;
  private final AuthzOptions options;
  private final TrustDomainBundle bundle;
  /** Translation per source object (Policy or InvalidPolicy), for reuse by the next snapshot's build. */
  private final Map<Object, Object> translationsBySource;
  private final JwtAuthenticationBuilder.Settings jwtSettings;
  private final Map<String, List<AuthorizationPolicyTranslation>> authzByNamespace;
  private final Map<String, List<RequestAuthenticationTranslation>> authnByNamespace;
  private final List<TranslationError> errors;
  private final Map<ScopeKey, PolicySet> setsByScope = new ConcurrentHashMap<>();
  private final Map<PolicySet, PolicySet> interned = new ConcurrentHashMap<>();
  private final Map<FilterKey, List<HttpFilter>> httpMemo = new ConcurrentHashMap<>();
  private final Map<FilterKey, List<Filter>> networkMemo = new ConcurrentHashMap<>();

  private record ScopeKey(String namespace, Map<String, String> labels) {}

  /** The policies that apply to one workload, root namespace first, each namespace in snapshot order. */
  record PolicySet(List<AuthorizationPolicyTranslation> authz, List<RequestAuthenticationTranslation> authn) {}

  private record FilterKey(PolicySet set, ChainTarget target) {}

  private InboundPolicyFilters(
      String rootNamespace,
      AuthzOptions options,
      TrustDomainBundle bundle,
      Map<String, List<AuthorizationPolicyTranslation>> authz,
      Map<String, List<RequestAuthenticationTranslation>> authn,
      Map<Object, Object> translationsBySource,
      List<TranslationError> errors) {
    this.rootNamespace = rootNamespace;
    this.options = options;
    this.bundle = bundle;
    this.jwtSettings = jwtSettings(options);
    this.authzByNamespace = authz;
    this.authnByNamespace = authn;
    this.translationsBySource = translationsBySource;
    this.errors = errors;
  }

  /** Translates every AuthorizationPolicy and RequestAuthentication of the snapshot, once. */
  public static InboundPolicyFilters build(MeshSnapshot snapshot, AuthzOptions options) {
    return build(snapshot, options, null);
  }

  /**
   * Like {@link #build(MeshSnapshot, AuthzOptions)}, reusing from {@code previous} (the result for an earlier
   * snapshot, may be null) the translation of every policy that did not change (equal metadata and spec) and, when
   * the options are equal, the filter lists of policy sets made only of such policies. A change to one policy then
   * costs that policy's translation and the filter lists of the workloads it applies to.
   */
  public static InboundPolicyFilters build(MeshSnapshot snapshot, AuthzOptions options, InboundPolicyFilters previous) {
    TrustDomainBundle bundle =
        TrustDomainBundle.of(snapshot.mesh().trustDomain(), snapshot.mesh().trustDomainAliases());
    boolean reuse = previous != null && previous.bundle.equals(bundle);
    Map<Object, Object> old = reuse ? previous.translationsBySource : Map.of();
    Map<Object, Object> bySource = new HashMap<>();
    Map<String, List<AuthorizationPolicyTranslation>> authz = new HashMap<>();
    Map<String, List<RequestAuthenticationTranslation>> authn = new HashMap<>();
    for (Policy<AuthorizationPolicy> p : snapshot.authorizationPolicies()) {
      AuthorizationPolicyTranslation t = (AuthorizationPolicyTranslation) old.get(p);
      if (t == null) {
        t = AuthorizationPolicyTranslation.of(p, bundle);
      }
      bySource.put(p, t);
      authz.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(t);
    }
    for (Policy<RequestAuthentication> p : snapshot.requestAuthentications()) {
      RequestAuthenticationTranslation t = (RequestAuthenticationTranslation) old.get(p);
      if (t == null) {
        t = RequestAuthenticationTranslation.of(p);
      }
      bySource.put(p, t);
      authn.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(t);
    }
    for (InvalidPolicy p : snapshot.invalidPolicies()) {
      if (p.kind() == PolicyKind.AUTHORIZATION_POLICY) {
        AuthorizationPolicyTranslation t = (AuthorizationPolicyTranslation) old.get(p);
        if (t == null) {
          t = AuthorizationPolicyTranslation.ofInvalid(p);
        }
        bySource.put(p, t);
        authz.computeIfAbsent(p.meta().namespace(), k -> new ArrayList<>()).add(t);
      } else if (p.kind() == PolicyKind.REQUEST_AUTHENTICATION) {
        RequestAuthenticationTranslation t = (RequestAuthenticationTranslation) old.get(p);
        if (t == null) {
          t = RequestAuthenticationTranslation.ofInvalid(p);
        }
        bySource.put(p, t);
        authn.computeIfAbsent(p.meta().namespace(), k -> new ArrayList<>()).add(t);
      }
    }
    authz.replaceAll((k, v) -> List.copyOf(v));
    authn.replaceAll((k, v) -> List.copyOf(v));

    JwtAuthenticationBuilder.Settings jwt = jwtSettings(options);
    Set<TranslationError> errs = new LinkedHashSet<>();
    authz.values().stream().flatMap(List::stream).forEach(t -> {
      t.failure().ifPresent(errs::add);
      if (!t.failed() && t.kind() == AuthorizationPolicyTranslation.Kind.CUSTOM
          && !options.extAuthzProviders().containsKey(t.provider())) {
        errs.add(new TranslationError("AuthorizationPolicy " + t.key(),
            "CUSTOM provider \"" + t.provider() + "\" is not a configured ext_authz provider",
            "requests matching its rules are denied"));
      }
    });
    customProviderConflicts(snapshot, authz, options).forEach(errs::add);
    authn.values().stream().flatMap(List::stream).forEach(t -> {
      t.failure().ifPresent(errs::add);
      if (!t.failed()) {
        JwtAuthenticationBuilder.build(List.of(t), jwt, errs::add);
      }
    });
    List<TranslationError> sorted = new ArrayList<>(errs);
    sorted.sort(java.util.Comparator.comparing(TranslationError::policy).thenComparing(TranslationError::message));
    InboundPolicyFilters out = new InboundPolicyFilters(
        snapshot.mesh().rootNamespace(), options, bundle, Map.copyOf(authz), Map.copyOf(authn), bySource,
        List.copyOf(sorted));
    if (reuse && previous.options.equals(options) && previous.rootNamespace.equals(out.rootNamespace)) {
      java.util.Set<Object> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      kept.addAll(bySource.values());
      previous.httpMemo.forEach((k, v) -> {
        if (kept.containsAll(k.set().authz()) && kept.containsAll(k.set().authn())) {
          out.httpMemo.put(k, v);
        }
      });
      previous.networkMemo.forEach((k, v) -> {
        if (kept.containsAll(k.set().authz()) && kept.containsAll(k.set().authn())) {
          out.networkMemo.put(k, v);
        }
      });
    }
    return out;
  }

  /**
   * One error per CUSTOM policy that meets a CUSTOM policy of another provider on some workload (Istio: "only 1
   * provider can be used per workload"), naming the first such workload. Only looked for when the snapshot's CUSTOM
   * policies name more than one provider at all.
   */
  private static List<TranslationError> customProviderConflicts(
      MeshSnapshot snapshot, Map<String, List<AuthorizationPolicyTranslation>> authz, AuthzOptions options) {
    List<AuthorizationPolicyTranslation> all = authz.values().stream().flatMap(List::stream).toList();
    if (!RbacFilterBuilder.providersConflict(all, options)) {
      return List.of();
    }
    String root = snapshot.mesh().rootNamespace();
    Map<String, TranslationError> byPolicy = new java.util.TreeMap<>();
    Set<ScopeKey> seen = new java.util.HashSet<>();
    List<Workload> workloads = new ArrayList<>(snapshot.workloads().values());
    workloads.sort(java.util.Comparator.comparing(w -> w.key().toString()));
    for (Workload w : workloads) {
      if (!seen.add(new ScopeKey(w.namespace(), w.labels()))) {
        continue;
      }
      List<AuthorizationPolicyTranslation> custom = new ArrayList<>();
      for (AuthorizationPolicyTranslation t : attachedAuthz(root, authz, w.namespace(), w.labels())) {
        if (t.kind() == AuthorizationPolicyTranslation.Kind.CUSTOM) {
          custom.add(t);
        }
      }
      java.util.SortedSet<String> providers = RbacFilterBuilder.customProviders(custom);
      if (providers.size() < 2) {
        continue;
      }
      for (AuthorizationPolicyTranslation t : custom) {
        if (!t.failed()) {
          byPolicy.putIfAbsent(t.key().toString(), new TranslationError("AuthorizationPolicy " + t.key(),
              "CUSTOM providers " + providers + " meet on workload " + w.key()
                  + "; one provider per workload is allowed (Istio), gatehouse.xds.multiple-custom-authz-providers"
                  + " lifts this",
              "its rules deny on that workload (-deny-due-to-bad-CUSTOM-action), whichever provider they name"));
        }
      }
    }
    return List.copyOf(byPolicy.values());
  }

  private static JwtAuthenticationBuilder.Settings jwtSettings(AuthzOptions options) {
    return new JwtAuthenticationBuilder.Settings(
        options.remoteJwks(), options.clockSkewSeconds(), options.jwks(), options.remoteJwksCluster());
  }

  /**
   * The HTTP filters that go before the router on an inbound HTTP chain of {@code w}, in Istio's order: CUSTOM
   * (RBAC shadow + ext_authz), jwt_authn (sidecars only), RBAC LOG, RBAC DENY, RBAC ALLOW. Empty when no policy
   * applies. The same list for every port: port conditions are inside the RBAC rules.
   */
  public List<HttpFilter> httpFilters(Workload w, ProxyKind kind, int port) {
    ChainTarget target = ChainTarget.of(kind, true);
    PolicySet set = policySet(w);
    return httpMemo.computeIfAbsent(new FilterKey(set, target), k -> buildHttp(set, target));
  }

  /**
   * The network filters that go before tcp_proxy on an inbound TCP chain of {@code w}: CUSTOM, RBAC LOG, DENY,
   * ALLOW (network RBAC, stat_prefix "tcp."). Proxyless gRPC has no TCP chains: always empty for it.
   */
  public List<Filter> networkFilters(Workload w, ProxyKind kind, int port) {
    if (kind == ProxyKind.PROXYLESS_GRPC) {
      return List.of();
    }
    ChainTarget target = ChainTarget.of(kind, false);
    PolicySet set = policySet(w);
    return networkMemo.computeIfAbsent(new FilterKey(set, target), k -> buildNetwork(set, target));
  }

  /** Every policy that did not parse or could not be (fully) translated, sorted by policy. */
  public List<TranslationError> errors() {
    return errors;
  }

  PolicySet policySet(Workload w) {
    return setsByScope.computeIfAbsent(new ScopeKey(w.namespace(), w.labels()), this::resolve);
  }

  private PolicySet resolve(ScopeKey scope) {
    List<RequestAuthenticationTranslation> an = new ArrayList<>();
    for (String ns : namespacesFor(rootNamespace, scope.namespace())) {
      for (RequestAuthenticationTranslation t : authnByNamespace.getOrDefault(ns, List.of())) {
        if (t.attaches(rootNamespace, scope.namespace(), scope.labels())) {
          an.add(t);
        }
      }
    }
    PolicySet set = new PolicySet(
        attachedAuthz(rootNamespace, authzByNamespace, scope.namespace(), scope.labels()), List.copyOf(an));
    // One instance per distinct set, so filter memo lookups mostly hit on identity.
    return interned.computeIfAbsent(set, s -> s);
  }

  /** Policies apply from the root namespace first, then from the workload's own namespace. */
  private static List<String> namespacesFor(String rootNamespace, String namespace) {
    return namespace.equals(rootNamespace) ? List.of(rootNamespace) : List.of(rootNamespace, namespace);
  }

  private static List<AuthorizationPolicyTranslation> attachedAuthz(String rootNamespace,
      Map<String, List<AuthorizationPolicyTranslation>> byNamespace, String namespace, Map<String, String> labels) {
    List<AuthorizationPolicyTranslation> az = new ArrayList<>();
    for (String ns : namespacesFor(rootNamespace, namespace)) {
      for (AuthorizationPolicyTranslation t : byNamespace.getOrDefault(ns, List.of())) {
        if (t.attaches(rootNamespace, namespace, labels)) {
          az.add(t);
        }
      }
    }
    return List.copyOf(az);
  }

  private List<HttpFilter> buildHttp(PolicySet set, ChainTarget target) {
    List<HttpFilter> out = new ArrayList<>(RbacFilterBuilder.customHttp(set.authz(), target, options));
    if (!target.proxyless()) {
      JwtAuthenticationBuilder.build(set.authn(), jwtSettings, e -> {}).ifPresent(out::add);
    }
    out.addAll(RbacFilterBuilder.rbacHttp(set.authz(), target));
    return List.copyOf(out);
  }

  private List<Filter> buildNetwork(PolicySet set, ChainTarget target) {
    List<Filter> out = new ArrayList<>(RbacFilterBuilder.customTcp(set.authz(), target, options));
    out.addAll(RbacFilterBuilder.rbacTcp(set.authz(), target));
    return List.copyOf(out);
  }
}
