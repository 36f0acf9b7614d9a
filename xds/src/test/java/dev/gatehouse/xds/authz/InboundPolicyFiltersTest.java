package dev.gatehouse.xds.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Request;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * InboundPolicyFilters on snapshots built directly from records (bypassing the parser's validation), so the
 * translator's own fail-closed path and its sharing between workloads are exercised.
 */
class InboundPolicyFiltersTest {
  private static Workload pod(String ns, String name, Map<String, String> labels) {
    ResourceMeta meta = new ResourceMeta("v1", "Pod", ns, name, Instant.EPOCH, "1", labels, Map.of(), "test");
    return new Workload(meta, name, "127.0.0.20", List.of(new ContainerPort("http", 8080, "TCP")), true, false);
  }

  private static Policy<AuthorizationPolicy> ap(String ns, String name, AuthorizationPolicy spec) {
    return new Policy<>(PolicyKind.AUTHORIZATION_POLICY,
        new ResourceMeta("security.istio.io/v1", "AuthorizationPolicy", ns, name, Instant.EPOCH, "1", Map.of(),
            Map.of(), "test"),
        spec);
  }

  private static Rule rule(Source from, Operation to) {
    Rule.Builder r = Rule.newBuilder();
    if (from != null) {
      r.addFrom(Rule.From.newBuilder().setSource(from));
    }
    if (to != null) {
      r.addTo(Rule.To.newBuilder().setOperation(to));
    }
    return r.build();
  }

  @Test
  void untranslatableDenyFailsClosedWithAnErrorNamingThePolicy() {
    AuthorizationPolicy badCidr = AuthorizationPolicy.newBuilder()
        .setAction(AuthorizationPolicy.Action.DENY)
        .addRules(rule(Source.newBuilder().addIpBlocks("300.1.1.1/8").build(), null))
        .build();
    Workload app = pod("foo", "app", Map.of("app", "app"));
    MeshSnapshot s = MeshSnapshot.builder(1, MeshConfig.defaults()).workload(app)
        .authorizationPolicy(ap("foo", "bad-cidr", badCidr)).build();
    InboundPolicyFilters f = InboundPolicyFilters.build(s, AuthzOptions.defaults());
    assertThat(EnvoyFilterChainEvaluator.evaluateHttp(f.httpFilters(app, ProxyKind.SIDECAR, 8080),
        Request.http("GET", "/")).name()).isEqualTo(Decision.DENY_RBAC.name());
    assertThat(EnvoyFilterChainEvaluator.evaluateTcp(f.networkFilters(app, ProxyKind.SIDECAR, 8080),
        Request.tcp(8080))).isEqualTo(Decision.DENY_RBAC);
    assertThat(f.errors()).singleElement().satisfies(e -> {
      assertThat(e.policy()).isEqualTo("AuthorizationPolicy foo/bad-cidr");
      assertThat(e.message()).contains("300.1.1.1/8");
      assertThat(e.failClosedEffect()).contains("denies every request");
    });
  }

  @Test
  void untranslatableAllowMatchesNothing() {
    AuthorizationPolicy badWhen = AuthorizationPolicy.newBuilder()
        .addRules(Rule.newBuilder().addWhen(Condition.newBuilder().setKey("request.size").addValues("1")))
        .addRules(rule(null, Operation.newBuilder().addPaths("/ok").build()))
        .build();
    AuthorizationPolicy badTemplate = AuthorizationPolicy.newBuilder()
        .addRules(rule(null, Operation.newBuilder().addPaths("/a/{**}/b/{*}").build()))
        .build();
    Workload app = pod("foo", "app", Map.of("app", "app"));
    MeshSnapshot s = MeshSnapshot.builder(1, MeshConfig.defaults()).workload(app)
        .authorizationPolicy(ap("foo", "bad-when", badWhen))
        .authorizationPolicy(ap("foo", "bad-template", badTemplate)).build();
    InboundPolicyFilters f = InboundPolicyFilters.build(s, AuthzOptions.defaults());
    assertThat(EnvoyFilterChainEvaluator.evaluateHttp(f.httpFilters(app, ProxyKind.SIDECAR, 8080),
        Request.http("GET", "/ok"))).isEqualTo(Decision.DENY_RBAC);
    assertThat(f.errors()).extracting(e -> e.message())
        .anySatisfy(m -> assertThat(m).contains("unknown attribute \"request.size\""))
        .anySatisfy(m -> assertThat(m).contains("{**} is not the last operator"));
  }

  @Test
  void denyWithoutRulesBuiltDirectlyDeniesNothing() {
    Workload app = pod("foo", "app", Map.of("app", "app"));
    MeshSnapshot s = MeshSnapshot.builder(1, MeshConfig.defaults()).workload(app)
        .authorizationPolicy(ap("foo", "empty-deny",
            AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY).build())).build();
    InboundPolicyFilters f = InboundPolicyFilters.build(s, AuthzOptions.defaults());
    assertThat(EnvoyFilterChainEvaluator.evaluateHttp(f.httpFilters(app, ProxyKind.SIDECAR, 8080),
        Request.http("GET", "/"))).isEqualTo(Decision.ALLOW);
    assertThat(f.errors()).isEmpty();
  }

  @Test
  void workloadsUnderTheSamePoliciesShareOneFilterList() {
    MeshSnapshot.Builder b = MeshSnapshot.builder(1, MeshConfig.defaults());
    for (int i = 0; i < 50; i++) {
      b.workload(pod("foo", "web-" + i, Map.of("app", "web", "pod-template-hash", "h" + (i % 3))));
    }
    b.workload(pod("foo", "db", Map.of("app", "db")));
    b.authorizationPolicy(ap("foo", "web", AuthorizationPolicy.newBuilder()
        .setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", "web"))
        .addRules(rule(Source.newBuilder().addNamespaces("bar").build(), null)).build()));
    b.authorizationPolicy(ap("foo", "ns-wide", AuthorizationPolicy.newBuilder()
        .setAction(AuthorizationPolicy.Action.DENY)
        .addRules(rule(null, Operation.newBuilder().addPaths("/admin").build())).build()));
    MeshSnapshot s = b.build();
    InboundPolicyFilters f = InboundPolicyFilters.build(s, AuthzOptions.defaults());

    var first = f.httpFilters(s.workload(dev.gatehouse.model.ObjectKey.of("foo", "web-0")).orElseThrow(),
        ProxyKind.SIDECAR, 8080);
    for (Workload w : s.workloadsInNamespace("foo")) {
      if (w.name().startsWith("web-")) {
        assertThat(f.httpFilters(w, ProxyKind.SIDECAR, 8080)).isSameAs(first);
        assertThat(f.httpFilters(w, ProxyKind.SIDECAR, 9090)).isSameAs(first);
      }
    }
    var db = f.httpFilters(s.workload(dev.gatehouse.model.ObjectKey.of("foo", "db")).orElseThrow(), ProxyKind.SIDECAR, 8080);
    assertThat(db).isNotSameAs(first).hasSize(1); // only the namespace-wide DENY
    assertThat(first).hasSize(2);
  }

  @Test
  void policyTranslatedOnceIsSharedAcrossChainKinds() {
    AuthorizationPolicy p = AuthorizationPolicy.newBuilder()
        .addRules(rule(Source.newBuilder().addPrincipals("cluster.local/ns/a/sa/b").build(), null)).build();
    AuthorizationPolicyTranslation t =
        AuthorizationPolicyTranslation.of(ap("foo", "p", p), TrustDomainBundle.of("cluster.local", List.of()));
    assertThat(t.rbacPolicies(ChainTarget.SIDECAR_HTTP, "")).isSameAs(t.rbacPolicies(ChainTarget.SIDECAR_HTTP, ""));
    assertThat(t.rbacPolicies(ChainTarget.SIDECAR_TCP, "")).isEqualTo(t.rbacPolicies(ChainTarget.SIDECAR_HTTP, ""));
  }

  @Test
  void aNewSnapshotReusesUnchangedPoliciesAndTheirFilterLists() {
    Workload a = pod("a", "app", Map.of("app", "app"));
    Workload b = pod("b", "app", Map.of("app", "app"));
    AuthorizationPolicy v1 = AuthorizationPolicy.newBuilder()
        .addRules(rule(null, Operation.newBuilder().addPaths("/v1").build())).build();
    AuthorizationPolicy v2 = AuthorizationPolicy.newBuilder()
        .addRules(rule(null, Operation.newBuilder().addPaths("/v2").build())).build();
    MeshSnapshot s1 = MeshSnapshot.builder(1, MeshConfig.defaults()).workload(a).workload(b)
        .authorizationPolicy(ap("a", "p", v1)).authorizationPolicy(ap("b", "p", v1)).build();
    MeshSnapshot s2 = MeshSnapshot.builder(2, MeshConfig.defaults()).workload(a).workload(b)
        .authorizationPolicy(ap("a", "p", v1)).authorizationPolicy(ap("b", "p", v2)).build();
    InboundPolicyFilters f1 = InboundPolicyFilters.build(s1, AuthzOptions.defaults());
    var a1 = f1.httpFilters(a, ProxyKind.SIDECAR, 8080);
    var b1 = f1.httpFilters(b, ProxyKind.SIDECAR, 8080);
    InboundPolicyFilters f2 = InboundPolicyFilters.build(s2, AuthzOptions.defaults(), f1);
    assertThat(f2.httpFilters(a, ProxyKind.SIDECAR, 8080)).isSameAs(a1);
    var b2 = f2.httpFilters(b, ProxyKind.SIDECAR, 8080);
    assertThat(b2).isNotSameAs(b1);
    assertThat(EnvoyFilterChainEvaluator.evaluateHttp(b2, Request.http("GET", "/v2"))).isEqualTo(Decision.ALLOW);
    assertThat(EnvoyFilterChainEvaluator.evaluateHttp(b2, Request.http("GET", "/v1"))).isEqualTo(Decision.DENY_RBAC);
    // Different options: nothing is reused, since filters depend on them.
    InboundPolicyFilters f3 = InboundPolicyFilters.build(s2, AuthzOptions.defaults().withClockSkewSeconds(5), f2);
    assertThat(f3.httpFilters(a, ProxyKind.SIDECAR, 8080)).isNotSameAs(a1).isEqualTo(a1);
  }
}
