package dev.gatehouse.posture.describe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.describe.WorkloadDescription.PolicyInEffect;
import dev.gatehouse.posture.describe.WorkloadDescription.PortMode;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explainer;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.posture.explain.ExplanationText;
import dev.gatehouse.xds.TranslationOptions;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * describe and explain on one pod, as data, as text and as JSON: a STRICT mesh with a PERMISSIVE portLevelMtls
 * override, DENY/ALLOW/AUDIT policies, a CUSTOM policy naming an unknown provider (fails closed) and a
 * RequestAuthentication. JSON is what a running Gatehouse answers {@code --server} with: it reads back equal.
 */
class DescribeExplainOutputTest {
  private static final String MESH = """
      apiVersion: v1
      kind: Pod
      metadata: {name: app-0, namespace: foo, labels: {app: app, security.istio.io/tlsMode: istio}}
      spec: {serviceAccountName: app, containers: [{name: app, ports: [{containerPort: 8080}, {containerPort: 9090}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.10}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: app, namespace: foo}
      spec: {clusterIP: 127.0.0.110, selector: {app: app}, ports: [{name: http, port: 80, targetPort: 8080}, {name: tcp-metrics, port: 9090, targetPort: 9090}]}
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: default, namespace: istio-system}
      spec: {mtls: {mode: STRICT}}
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: app-metrics, namespace: foo}
      spec: {selector: {matchLabels: {app: app}}, portLevelMtls: {9090: {mode: PERMISSIVE}}}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: deny-admin, namespace: foo}
      spec: {action: DENY, rules: [{to: [{operation: {paths: ["/admin*"]}}]}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: from-web, namespace: foo}
      spec: {selector: {matchLabels: {app: app}}, rules: [{from: [{source: {principals: [cluster.local/ns/web/sa/web]}}]}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: audit-all, namespace: foo}
      spec: {action: AUDIT, rules: [{}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: ext, namespace: foo}
      spec: {action: CUSTOM, provider: {name: missing}, rules: [{to: [{operation: {paths: ["/secure*"]}}]}]}
      ---
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: jwt, namespace: foo}
      spec: {jwtRules: [{issuer: "https://issuer.test", jwks: '{"keys": [{"kty": "RSA", "kid": "k1", "e": "AQAB", "n": "sXch"}]}'}]}
      """;

  private static MeshPosture mesh() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(MESH, MeshConfig.defaults());
    assertThat(loaded.problems()).isEmpty();
    return MeshPosture.of(PostureInput.of(loaded.snapshot(), TranslationOptions.defaults(), "test",
        Instant.parse("2026-12-05T12:00:00Z")));
  }

  @Test
  void describeGivesModesPerPortWithTheirDeciderPoliciesInEvaluationOrderAndIdentity() {
    MeshPosture m = mesh();
    WorkloadDescription d = Describer.describe(m, m.workload("foo/app-0").orElseThrow());
    assertThat(d.proxy()).isEqualTo("sidecar");
    assertThat(d.identity().spiffeId()).isEqualTo("spiffe://cluster.local/ns/foo/sa/app");
    assertThat(d.mtlsMode()).isEqualTo("STRICT");
    assertThat(d.mtlsDecidedBy()).startsWith("PeerAuthentication istio-system/default");
    PortMode http = d.ports().stream().filter(p -> p.port() == 8080).findFirst().orElseThrow();
    PortMode metrics = d.ports().stream().filter(p -> p.port() == 9090).findFirst().orElseThrow();
    assertThat(http.mode()).isEqualTo("STRICT");
    assertThat(http.protocol()).isEqualTo("HTTP");
    assertThat(http.acceptsMtls()).isTrue();
    assertThat(http.acceptsPlaintext()).isFalse();
    assertThat(metrics.mode()).isEqualTo("PERMISSIVE");
    assertThat(metrics.protocol()).isEqualTo("TCP");
    assertThat(metrics.acceptsPlaintext()).isTrue();
    assertThat(metrics.decidedBy()).startsWith("PeerAuthentication foo/app-metrics").endsWith("portLevelMtls 9090");
    assertThat(d.authorizationPolicies()).extracting(PolicyInEffect::action)
        .containsExactly("CUSTOM", "DENY", "ALLOW", "AUDIT");
    PolicyInEffect custom = d.authorizationPolicies().get(0);
    assertThat(custom.provider()).isEqualTo("missing");
    assertThat(custom.problem()).as("the CUSTOM policy fails closed, and describe says so").contains("missing")
        .contains("denied");
    assertThat(d.errors()).anySatisfy(e -> assertThat(e).startsWith("AuthorizationPolicy foo/ext"));
    assertThat(d.requestAuthentications()).extracting(PolicyInEffect::policy).containsExactly("foo/jwt");

    String text = DescriptionText.render(d);
    assertThat(text).contains("Pod foo/app-0 (sidecar, 127.0.0.10, service account app)")
        .contains("spiffe://cluster.local/ns/foo/sa/app")
        .containsPattern("8080 +HTTP +STRICT +mTLS only +PeerAuthentication istio-system/default")
        .containsPattern("9090 +TCP +PERMISSIVE +mTLS, plaintext +PeerAuthentication foo/app-metrics")
        .contains("CUSTOM foo/ext").contains("problem: ").contains("DENY   foo/deny-admin")
        .contains("rule 0: {\"to\":[{\"operation\":{\"paths\":[\"/admin*\"]}}]}")
        .contains("RequestAuthentications:").contains("foo/jwt");
    assertThat(text.indexOf("CUSTOM foo/ext")).isLessThan(text.indexOf("DENY   foo/deny-admin"));
    assertThat(text.indexOf("ALLOW  foo/from-web")).isLessThan(text.indexOf("AUDIT  foo/audit-all"));

    String json = PostureJson.write(d);
    assertThat(PostureJson.read(json, WorkloadDescription.class)).isEqualTo(d);
  }

  @Test
  void explainNamesTheChainTheFiltersAndTheDecidingRuleInTextAndJson() {
    MeshPosture m = mesh();
    Explanation deny = Explainer.explain(m, new ExplainRequest("foo/app-0", 8080, "spiffe://cluster.local/ns/web/sa/web",
        "", false, "GET", "/admin/x", "", Map.of(), Map.of()));
    assertThat(deny.verdict()).isEqualTo(Explanation.DENY);
    assertThat(deny.connection().filterChain()).isEqualTo("inbound|8080|mtls-http");
    assertThat(deny.decidedBy().policy()).isEqualTo("foo/deny-admin");
    assertThat(deny.notes()).contains("audited (AUDIT) by foo/audit-all rule 0");
    String text = ExplanationText.render(deny);
    assertThat(text).startsWith("DENY  foo/app-0:8080 (http, sidecar)")
        .contains("chain inbound|8080|mtls-http, mTLS negotiated")
        .contains("DENY  envoy.filters.http.rbac (DENY) matched ns[foo]-policy[deny-admin]-rule[0]")
        .contains("Decided by:  AuthorizationPolicy foo/deny-admin rule 0 (DENY)");
    Explanation back = PostureJson.read(PostureJson.write(deny), Explanation.class);
    assertThat(ExplanationText.render(back)).isEqualTo(text);
    assertThat(back.verdict()).isEqualTo(deny.verdict());
    assertThat(back.decidedBy().rule()).isEqualTo(0);

    Explanation allow = Explainer.explain(m, new ExplainRequest("foo/app-0", 8080, "spiffe://cluster.local/ns/web/sa/web",
        "", false, "GET", "/home", "", Map.of(), Map.of()));
    assertThat(allow.verdict()).isEqualTo(Explanation.ALLOW);
    assertThat(allow.decidedBy().policy()).isEqualTo("foo/from-web");
    // The CUSTOM policy with the unknown provider denies what its rules match (fails closed), before DENY and ALLOW.
    Explanation secure = Explainer.explain(m, new ExplainRequest("foo/app-0", 8080, "spiffe://cluster.local/ns/web/sa/web",
        "", false, "GET", "/secure/x", "", Map.of(), Map.of()));
    assertThat(secure.verdict()).isEqualTo(Explanation.DENY);
    assertThat(secure.decidedBy().policy()).isEqualTo("foo/ext");

    Explanation plaintext = Explainer.explain(m, new ExplainRequest("foo/app-0", 8080, "", "", true, "GET", "/home", "",
        Map.of(), Map.of()));
    assertThat(plaintext.verdict()).isEqualTo(Explanation.DENY);
    assertThat(plaintext.connection().mtls()).isFalse();
    assertThat(plaintext.decidedBy().kind()).isEqualTo("PeerAuthentication");
    assertThat(ExplanationText.render(plaintext)).contains("(mode STRICT)");
    Explanation metrics = Explainer.explain(m, new ExplainRequest("foo/app-0", 9090, "", "", true, "", "", "",
        Map.of(), Map.of()));
    assertThat(metrics.protocol()).isEqualTo("tcp");
    assertThat(metrics.connection().mtls()).isFalse();
  }
}
