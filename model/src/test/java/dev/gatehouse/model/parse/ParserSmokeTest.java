package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.Workload;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ParserSmokeTest {
  @Test
  void denyPolicyParses() {
    ParseResult r = Yaml.parse("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-post, namespace: foo, creationTimestamp: "2024-01-02T03:04:05Z"}
        spec:
          selector: {matchLabels: {app: httpbin}}
          action: DENY
          rules:
          - to: [{operation: {methods: [POST]}}]
        """);
    assertThat(r).isInstanceOf(ParseResult.Parsed.class);
    Policy<?> p = (Policy<?>) ((ParseResult.Parsed) r).value();
    assertThat(((AuthorizationPolicy) p.spec()).getAction()).isEqualTo(AuthorizationPolicy.Action.DENY);
  }

  @Test
  void typoMakesInvalidPolicyKeepingSelectorAndAction() {
    ParseResult r = Yaml.parse("""
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata: {name: deny-post, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          action: DENY
          rules:
          - to: [{operation: {method: [POST]}}]
        """);
    InvalidPolicy p = (InvalidPolicy) ((ParseResult.Parsed) r).value();
    assertThat(p.selector()).isEqualTo(Optional.of(Map.of("app", "httpbin")));
    assertThat(p.action()).isEqualTo("DENY");
    assertThat(p.reason()).contains("method");
  }

  @Test
  void podWithIstioProxy() {
    ParseResult r = Yaml.parse("""
        apiVersion: v1
        kind: Pod
        metadata: {name: a, labels: {app: a}}
        spec:
          serviceAccountName: sa
          containers:
          - name: app
            ports: [{containerPort: 8080, name: http}]
          - name: istio-proxy
        status: {podIP: 127.0.0.5, phase: Running}
        """);
    Workload w = (Workload) ((ParseResult.Parsed) r).value();
    assertThat(w.namespace()).isEqualTo("default");
    assertThat(w.hasSidecar()).isTrue();
    assertThat(w.ports()).hasSize(1);
  }
}
