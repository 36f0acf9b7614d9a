package dev.gatehouse.posture.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authz.InboundPolicyFilters;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Request;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code explain} against the RBAC decisions of the translation, on the scenarios of xds' RbacDecisionTest and the
 * authz golden files (spec {}, rules [{}], DENY over ALLOW, AUDIT, principals, HTTP-only fields on a TCP port), over
 * HTTP ({@code foo/app-0:8080}, Service port {@code http}) and TCP ({@code foo/db-0:5432}, {@code tcp-db}). For each
 * request the expected verdict and deciding policy/rule follow Istio's semantics; both explain's answer and a direct
 * walk of the filters InboundPolicyFilters builds for that workload and port must give them, and explain's deciding
 * rule is the RBAC policy that matched ({@code ns[..]-policy[..]-rule[..]}).
 */
class ExplainRbacDecisionTest {
  private static final String PODS = """
      apiVersion: v1
      kind: Pod
      metadata: {name: app-0, namespace: foo, labels: {app: app, security.istio.io/tlsMode: istio}}
      spec: {serviceAccountName: app, containers: [{name: app, ports: [{containerPort: 8080}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.10}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: app, namespace: foo}
      spec: {clusterIP: 127.0.0.110, selector: {app: app}, ports: [{name: http, port: 8080, targetPort: 8080}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: db-0, namespace: foo, labels: {app: db, security.istio.io/tlsMode: istio}}
      spec: {serviceAccountName: db, containers: [{name: db, ports: [{containerPort: 5432}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.14}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: db, namespace: foo}
      spec: {clusterIP: 127.0.0.114, selector: {app: db}, ports: [{name: tcp-db, port: 5432, targetPort: 5432}]}
      """;
  private static final String A = "spiffe://cluster.local/ns/foo/sa/a";
  private static final String B = "spiffe://cluster.local/ns/bar/sa/b";

  private static String policy(String name, String spec) {
    return "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: " + name
        + ", namespace: foo}\nspec: " + spec + "\n";
  }

  /** One mesh and its translation. */
  private record Mesh(MeshPosture posture, InboundPolicyFilters filters) {
    static Mesh of(String policies) {
      MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(PODS + policies, MeshConfig.defaults());
      assertThat(loaded.problems()).isEmpty();
      MeshSnapshot s = loaded.snapshot();
      TranslationOptions options = TranslationOptions.defaults();
      return new Mesh(MeshPosture.of(PostureInput.of(s, options, "test", Instant.parse("2026-12-05T12:00:00Z"))),
          InboundPolicyFilters.build(s, options.authz()));
    }

    /**
     * @param from a SPIFFE ID, or "" for a plaintext client without identity
     * @param path an HTTP path, or null for a TCP connection to the db
     * @param verdict ALLOW or DENY
     * @param policy the deciding AuthorizationPolicy's name in foo, or "" when none decided (no policy applies)
     * @param rule the deciding rule, -1 when no single rule decided
     */
    void expect(String from, String path, String verdict, String policy, int rule) {
      boolean http = path != null;
      String to = http ? "foo/app-0" : "foo/db-0";
      int port = http ? 8080 : 5432;
      Explanation e = Explainer.explain(posture, new ExplainRequest(to, port, from, "", from.isEmpty(),
          http ? "GET" : "", http ? path : "", "", Map.of(), Map.of()));
      String what = (from.isEmpty() ? "plaintext" : from) + " -> " + to + ":" + port + (http ? " GET " + path : "")
          + ": " + e;
      assertThat(e.protocol()).as(what).isEqualTo(http ? "http" : "tcp");
      assertThat(e.connection().mtls()).as(what).isEqualTo(!from.isEmpty());
      assertThat(e.verdict()).as(what).isEqualTo(verdict);
      assertThat(e.decidedBy().policy()).as(what).isEqualTo(policy.isEmpty() ? "" : "foo/" + policy);
      assertThat(e.decidedBy().rule()).as(what).isEqualTo(rule);
      if (!policy.isEmpty()) {
        assertThat(e.decidedBy().kind()).as(what).isEqualTo("AuthorizationPolicy");
      }

      // The same request walked directly over the translation's filters for that workload and port.
      Workload w = posture.snapshot().workload(ObjectKey.of("foo", to.substring(4))).orElseThrow();
      Request r = http ? Request.http("GET", path).port(port) : Request.tcp(port);
      if (!from.isEmpty()) {
        r = r.from(from);
      }
      EnvoyFilterChainEvaluator.Result rbac = http
          ? EnvoyFilterChainEvaluator.traceHttp(filters.httpFilters(w, ProxyKind.SIDECAR, port), r)
          : EnvoyFilterChainEvaluator.traceTcp(filters.networkFilters(w, ProxyKind.SIDECAR, port), r);
      assertThat(rbac.decision() == Decision.ALLOW ? Explanation.ALLOW : Explanation.DENY).as("RBAC: " + what)
          .isEqualTo(verdict);
      if (rule >= 0) {
        assertThat(e.filters()).as(what).anySatisfy(f ->
            assertThat(f.matchedPolicy()).isEqualTo("ns[foo]-policy[" + policy + "]-rule[" + rule + "]"));
        String matched = rbac.decision() == Decision.ALLOW
            ? rbac.filters().stream().map(EnvoyFilterChainEvaluator.FilterOutcome::matchedPolicy)
                .filter(m -> m.contains("policy[" + policy + "]")).findFirst().orElse("")
            : rbac.decidingFilter().map(EnvoyFilterChainEvaluator.FilterOutcome::matchedPolicy).orElse("");
        assertThat(matched).as("RBAC: " + what).isEqualTo("ns[foo]-policy[" + policy + "]-rule[" + rule + "]");
      }
    }
  }

  @Test
  void noPolicyAllowsHttpAndTcp() {
    Mesh m = Mesh.of("");
    m.expect(A, "/anything", "ALLOW", "", -1);
    m.expect("", "/anything", "ALLOW", "", -1);
    m.expect(A, null, "ALLOW", "", -1);
  }

  @Test
  void emptySpecAllowsNothingOnHttpAndTcp() {
    Mesh m = Mesh.of(policy("allow-nothing", "{}"));
    m.expect(A, "/", "DENY", "allow-nothing", -1);
    m.expect("", "/", "DENY", "allow-nothing", -1);
    m.expect(A, null, "DENY", "allow-nothing", -1);
  }

  @Test
  void ruleWithNothingInItAllowsEverything() {
    Mesh m = Mesh.of(policy("allow-all", "{rules: [{}]}"));
    m.expect(A, "/x", "ALLOW", "allow-all", 0);
    m.expect("", "/x", "ALLOW", "allow-all", 0);
    m.expect(B, null, "ALLOW", "allow-all", 0);
  }

  @Test
  void denyIsEvaluatedBeforeAllow() {
    Mesh m = Mesh.of(policy("allow-all", "{rules: [{}]}")
        + policy("deny-admin", "{action: DENY, rules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]}"));
    m.expect(A, "/admin/users", "DENY", "deny-admin", 0);
    m.expect(A, "/home", "ALLOW", "allow-all", 0);
    // On TCP the DENY rule loses its HTTP-only condition and so denies every connection (Istio).
    m.expect(A, null, "DENY", "deny-admin", 0);
  }

  @Test
  void auditNeverChangesTheDecision() {
    Mesh audit = Mesh.of(policy("audit", "{action: AUDIT, rules: [{}]}"));
    audit.expect(A, "/", "ALLOW", "", -1);
    audit.expect(A, null, "ALLOW", "", -1);
    Mesh auditAndDeny = Mesh.of(policy("audit", "{action: AUDIT, rules: [{}]}") + policy("allow-nothing", "{}"));
    auditAndDeny.expect(A, "/", "DENY", "allow-nothing", -1);
    auditAndDeny.expect(A, null, "DENY", "allow-nothing", -1);
  }

  @Test
  void allowByPrincipalMatchesOnlyThatPeerOverHttpAndTcp() {
    Mesh m = Mesh.of(policy("from-a", "{rules: [{from: [{source: {principals: [cluster.local/ns/foo/sa/a]}}]}]}"));
    m.expect(A, "/", "ALLOW", "from-a", 0);
    m.expect(B, "/", "DENY", "from-a", -1);
    m.expect("", "/", "DENY", "from-a", -1); // plaintext: no peer identity
    m.expect(A, null, "ALLOW", "from-a", 0);
    m.expect(B, null, "DENY", "from-a", -1);
  }

  @Test
  void httpOnlyAllowRuleIsDroppedOnTcp() {
    Mesh m = Mesh.of(policy("p", """
        {rules: [{to: [{operation: {methods: [GET]}}]}, {from: [{source: {principals: [cluster.local/ns/foo/sa/a]}}]}]}"""));
    m.expect(B, "/", "ALLOW", "p", 0);
    m.expect(B, null, "DENY", "p", -1);
    m.expect(A, null, "ALLOW", "p", 1);
  }
}
