package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.PolicyKind;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A security resource that does not parse is kept, with what can still be read, so translation fails closed. */
class InvalidPolicyTest {

  @Test
  void unknownFieldKeepsMetadataSelectorAndAction() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: deny-admin
          namespace: shop
          creationTimestamp: "2024-05-06T07:08:09Z"
          resourceVersion: "77"
        spec:
          selector: {matchLabels: {app: cart}}
          action: DENY
          rules:
          - to: [{operation: {path: [/admin]}}]
        """);
    assertThat(p.kind()).isEqualTo(PolicyKind.AUTHORIZATION_POLICY);
    assertThat(p.key().toString()).isEqualTo("shop/deny-admin");
    assertThat(p.meta().creationTimestamp()).isEqualTo(Instant.parse("2024-05-06T07:08:09Z"));
    assertThat(p.meta().resourceVersion()).isEqualTo("77");
    assertThat(p.meta().source()).isEqualTo("test.yaml");
    assertThat(p.selector()).isEqualTo(Optional.of(Map.of("app", "cart")));
    assertThat(p.action()).isEqualTo("DENY");
    assertThat(p.reason()).startsWith("spec: ").contains("path").doesNotContain("\n").doesNotContain("at com.");
  }

  @Test
  void anUnknownActionIsKeptVerbatimForTheTranslatorToTreatAsDeny() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: odd, namespace: shop}
        spec:
          action: REJECT
          rules: [{}]
        """);
    assertThat(p.action()).isEqualTo("REJECT");
    assertThat(p.selector()).isEqualTo(Optional.of(Map.of()));
    assertThat(p.reason()).contains("REJECT");
  }

  @Test
  void anAbsentActionIsAllowAsIstioDefaultsIt() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: typo, namespace: shop}
        spec:
          rulez: [{}]
        """);
    assertThat(p.action()).isEqualTo("ALLOW");
  }

  @Test
  void anActionThatIsNotTextIsUnreadable() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: typo, namespace: shop}
        spec:
          action: {deny: true}
        """);
    assertThat(p.action()).isEmpty();
  }

  @Test
  void aSemanticErrorKeepsTheParsedActionAndSelector() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata: {name: ext, namespace: shop}
        spec:
          selector: {matchLabels: {app: gateway}}
          action: CUSTOM
          rules: [{to: [{operation: {ports: ["80", "http"]}}]}]
        """);
    assertThat(p.action()).isEqualTo("CUSTOM");
    assertThat(p.selector()).contains(Map.of("app", "gateway"));
    assertThat(p.reason()).isEqualTo("`provider.name` must not be empty; bad port (http)");
  }

  @Test
  void aMalformedSelectorIsUnreadableSoThePolicyCoversTheNamespace() {
    InvalidPolicy listValue = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: bad-selector, namespace: shop}
        spec:
          selector: {matchLabels: {app: [a, b]}}
          action: DENY
          rules: [{}]
        """);
    assertThat(listValue.selector()).isEmpty();
    assertThat(listValue.action()).isEqualTo("DENY");

    InvalidPolicy scalarSelector = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: bad-selector, namespace: shop}
        spec:
          selector: app=cart
          mtls: {mode: DISABLE}
        """);
    assertThat(scalarSelector.selector()).isEmpty();
  }

  @Test
  void aSpecThatIsNotAnObjectIsInvalidWithAnUnreadableSelector() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: scalar, namespace: shop}
        spec: "jwtRules: []"
        """);
    assertThat(p.reason()).isEqualTo("spec: expected an object, got \"jwtRules: []\"");
    assertThat(p.selector()).isEmpty();
  }

  @Test
  void numericSelectorValuesReadAsTextJustAsTheValidParseDoes() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: v2, namespace: shop}
        spec:
          selector: {matchLabels: {version: 2}}
          action: DENY
        """);
    assertThat(p.selector()).contains(Map.of("version", "2"));
  }

  @Test
  void aMisspeltSpecIsInvalidRatherThanAnEmptySpec() {
    // Read leniently, this would be a PeerAuthentication with no mode: UNSET, inheriting a weaker parent mode.
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: shop}
        spex: {mtls: {mode: STRICT}}
        """);
    assertThat(p.reason()).isEqualTo("unknown field \"spex\"");
    assertThat(p.selector()).contains(Map.of());
  }

  @Test
  void aMisspeltMetadataFieldIsInvalidRatherThanMoved() {
    // Read leniently, "namespce" would silently put the policy in the default namespace.
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-all, namespce: shop}
        spec: {action: DENY, rules: [{}]}
        """);
    assertThat(p.reason()).isEqualTo("metadata: unknown field \"namespce\"");
    assertThat(p.meta().namespace()).isEqualTo("default");
    assertThat(p.action()).isEqualTo("DENY");
  }

  @Test
  void statusAndServerSetMetadataAreAccepted() {
    Fixtures.policy("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: from-cluster
          namespace: shop
          uid: 0b6b7c9e-1d2f-4a6e-9c1e-2f3a4b5c6d7e
          generation: 3
          resourceVersion: "991"
          creationTimestamp: "2024-01-01T00:00:00Z"
          managedFields: [{manager: kubectl, operation: Update}]
          finalizers: []
        spec: {rules: [{}]}
        status:
          conditions: [{type: Reconciled, status: "True"}]
        """);
  }

  @Test
  void aBadCreationTimestampMakesThePolicyInvalidNotLost() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: when, namespace: shop, creationTimestamp: yesterday}
        spec: {action: DENY, rules: [{}]}
        """);
    assertThat(p.reason()).isEqualTo("metadata.creationTimestamp: not an RFC 3339 time: \"yesterday\"");
    assertThat(p.action()).isEqualTo("DENY");
  }

  @Test
  void dryRunNeedsAGoBooleanAndAnAllowOrDenyPolicy() {
    InvalidPolicy badValue = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: dry, namespace: shop, annotations: {istio.io/dry-run: "yes"}}
        spec: {action: DENY, rules: [{}]}
        """);
    assertThat(badValue.reason()).isEqualTo("annotation istio.io/dry-run with invalid value (yes)");

    InvalidPolicy audit = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: dry, namespace: shop, annotations: {istio.io/dry-run: "true"}}
        spec: {action: AUDIT, rules: [{}]}
        """);
    assertThat(audit.reason())
        .isEqualTo("the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action AUDIT");

    InvalidPolicy peer = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: dry, namespace: shop, annotations: {istio.io/dry-run: "true"}}
        spec: {mtls: {mode: STRICT}}
        """);
    assertThat(peer.reason()).isEqualTo("unsupported annotation istio.io/dry-run, please remove the annotation");
  }

  @Test
  void invalidDestinationRuleKeepsItsWorkloadSelector() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: dr, namespace: shop}
        spec:
          host: cart
          workloadSelector: {matchLabels: {app: client}}
          trafficPolicy: {tls: {mode: ISTIO}}
        """);
    assertThat(p.kind()).isEqualTo(PolicyKind.DESTINATION_RULE);
    assertThat(p.selector()).contains(Map.of("app", "client"));
    assertThat(p.action()).isEmpty();
  }

  @Test
  void repeatedReasonsAreReportedOnce() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: twice, namespace: shop}
        spec:
          rules:
          - to: [{operation: {methods: ['']}}]
          - to: [{operation: {methods: ['']}}]
        """);
    assertThat(p.reason()).isEqualTo("empty value not allowed, found in Methods");
  }

  @Test
  void longReasonsAreCutToOneBoundedLine() {
    StringBuilder ports = new StringBuilder("[");
    for (int i = 0; i < 200; i++) {
      ports.append(i == 0 ? "" : ", ").append("p").append(i);
    }
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: long, namespace: shop}
        spec:
          rules:
          - to: [{operation: {ports: %s]}}]
        """.formatted(ports));
    assertThat(p.reason()).hasSize(400).startsWith("bad port (p0); bad port (p1); ").endsWith("...");
  }
}
