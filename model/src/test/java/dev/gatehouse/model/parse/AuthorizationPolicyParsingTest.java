package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuthorizationPolicyParsingTest {
  private static List<ParseResult> fixture;

  @BeforeAll
  static void load() {
    fixture = Fixtures.resource("authorization-policies.yaml");
  }

  @Test
  void everyDocumentInTheIstioExamplesIsAValidPolicy() {
    assertThat(fixture).hasSize(11).allSatisfy(r -> {
      assertThat(r).isInstanceOf(ParseResult.Parsed.class);
      assertThat(((ParseResult.Parsed) r).value()).isInstanceOf(Policy.class);
      assertThat(((ParseResult.Parsed) r).kind()).isEqualTo("AuthorizationPolicy");
    });
  }

  @Test
  void allowExampleKeepsSourcesOperationsAndConditionsInOrder() {
    Policy<AuthorizationPolicy> p = Fixtures.policyIn(fixture, "foo", "httpbin");
    assertThat(p.kind()).isEqualTo(PolicyKind.AUTHORIZATION_POLICY);
    AuthorizationPolicy spec = p.spec();
    assertThat(spec.getAction()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
    assertThat(spec.hasSelector()).isFalse();
    assertThat(spec.getRulesCount()).isEqualTo(1);
    Rule rule = spec.getRules(0);
    assertThat(rule.getFromList())
        .extracting(Rule.From::getSource)
        .containsExactly(
            Source.newBuilder().addPrincipals("cluster.local/ns/default/sa/sleep").build(),
            Source.newBuilder().addNamespaces("test").build());
    assertThat(rule.getToList())
        .extracting(Rule.To::getOperation)
        .containsExactly(
            Operation.newBuilder().addMethods("GET").addPaths("/info*").build(),
            Operation.newBuilder().addMethods("POST").addPaths("/data").build());
    assertThat(rule.getWhenList())
        .containsExactly(
            Condition.newBuilder().setKey("request.auth.claims[iss]").addValues("https://accounts.google.com").build());
  }

  @Test
  void metadataIsCarriedIntoTheResourceMeta() {
    Policy<AuthorizationPolicy> p = Fixtures.policyIn(fixture, "foo", "httpbin");
    assertThat(p.meta().apiVersion()).isEqualTo("security.istio.io/v1");
    assertThat(p.meta().kind()).isEqualTo("AuthorizationPolicy");
    assertThat(p.meta().creationTimestamp()).isEqualTo(Instant.parse("2024-03-01T10:00:00Z"));
    assertThat(p.meta().resourceVersion()).isEqualTo("4711");
    assertThat(p.meta().labels()).isEqualTo(Map.of("team", "platform"));
    assertThat(p.meta().annotations()).isEqualTo(Map.of("owner", "sec@example.com"));
    assertThat(p.meta().source()).isEqualTo("authorization-policies.yaml");
    assertThat(p.meta().describe()).isEqualTo("AuthorizationPolicy foo/httpbin (from authorization-policies.yaml)");
  }

  @Test
  void denyAndAuditActionsAreRead() {
    AuthorizationPolicy deny = Fixtures.<AuthorizationPolicy>policyIn(fixture, "foo", "deny-dev-post").spec();
    assertThat(deny.getAction()).isEqualTo(AuthorizationPolicy.Action.DENY);
    assertThat(deny.getRules(0).getFrom(0).getSource().getNamespacesList()).containsExactly("dev");

    AuthorizationPolicy ports = Fixtures.<AuthorizationPolicy>policyIn(fixture, "foo", "deny-post-8080").spec();
    assertThat(ports.getRules(0).getTo(0).getOperation().getPortsList()).containsExactly("8080");

    AuthorizationPolicy audit = Fixtures.<AuthorizationPolicy>policyIn(fixture, "ns1", "anyname").spec();
    assertThat(audit.getAction()).isEqualTo(AuthorizationPolicy.Action.AUDIT);
    assertThat(audit.getSelector().getMatchLabelsMap()).isEqualTo(Map.of("app", "myapi"));
  }

  @Test
  void allowNothingAndAllowAllStayDistinguishable() {
    AuthorizationPolicy nothing = Fixtures.<AuthorizationPolicy>policyIn(fixture, "foo", "allow-nothing").spec();
    AuthorizationPolicy all = Fixtures.<AuthorizationPolicy>policyIn(fixture, "foo", "allow-all").spec();
    // spec: {} is ALLOW with no rules: it matches nothing, so everything is denied.
    assertThat(nothing).isEqualTo(AuthorizationPolicy.getDefaultInstance());
    // rules: [{}] is one empty rule: it matches everything.
    assertThat(all.getRulesList()).containsExactly(Rule.getDefaultInstance());
  }

  @Test
  void dryRunAnnotationIsKeptAndNamespaceDefaults() {
    Policy<AuthorizationPolicy> p = Fixtures.policyIn(fixture, "default", "dry-run-example");
    assertThat(p.meta().annotations()).containsEntry("istio.io/dry-run", "true");
    assertThat(p.spec().getAction()).isEqualTo(AuthorizationPolicy.Action.DENY);
  }

  @Test
  void everySourceFieldIncludingTheNegationsIsRead() {
    AuthorizationPolicy spec = Fixtures.<AuthorizationPolicy>policyIn(fixture, "bar", "every-field").spec();
    assertThat(spec.getSelector().getMatchLabelsMap()).isEqualTo(Map.of("app", "httpbin", "version", "v1"));
    Source s = spec.getRules(0).getFrom(0).getSource();
    assertThat(s.getPrincipalsList()).containsExactly("cluster.local/ns/bar/sa/client", "*/sa/admin");
    assertThat(s.getNotPrincipalsList()).containsExactly("cluster.local/ns/bar/sa/banned");
    assertThat(s.getRequestPrincipalsList()).containsExactly("issuer.example.com/subject");
    assertThat(s.getNotRequestPrincipalsList()).containsExactly("issuer.example.com/robot*");
    assertThat(s.getIpBlocksList()).containsExactly("127.0.0.0/8", "127.0.0.1");
    assertThat(s.getNotIpBlocksList()).containsExactly("127.0.0.99");
    assertThat(s.getRemoteIpBlocksList()).containsExactly("127.1.0.0/16", "::1");
    assertThat(s.getNotRemoteIpBlocksList()).containsExactly("127.1.2.0/24");
    assertThat(s.getTrustDomainsList()).containsExactly("cluster.local", "*.example.org");
    assertThat(s.getNotTrustDomainsList()).containsExactly("legacy.example.org");

    Source accounts = spec.getRules(0).getFrom(1).getSource();
    assertThat(accounts.getServiceAccountsList()).containsExactly("bar/client", "reader");
    assertThat(accounts.getNotServiceAccountsList()).containsExactly("bar/intruder");

    Source namespaces = spec.getRules(0).getFrom(2).getSource();
    assertThat(namespaces.getNamespacesList()).containsExactly("bar", "prod-*");
    assertThat(namespaces.getNotNamespacesList()).containsExactly("prod-test");
  }

  @Test
  void everyOperationFieldIncludingTheNegationsIsRead() {
    AuthorizationPolicy spec = Fixtures.<AuthorizationPolicy>policyIn(fixture, "bar", "every-field").spec();
    Operation op = spec.getRules(0).getTo(0).getOperation();
    assertThat(op.getHostsList()).containsExactly("httpbin.bar.svc.cluster.local", "*.example.com");
    assertThat(op.getNotHostsList()).containsExactly("admin.example.com");
    assertThat(op.getPortsList()).containsExactly("8000", "9090");
    assertThat(op.getNotPortsList()).containsExactly("15021");
    assertThat(op.getMethodsList()).containsExactly("GET", "HEAD");
    assertThat(op.getNotMethodsList()).containsExactly("DELETE");
    assertThat(op.getPathsList()).containsExactly("/api/*", "/store/{*}/items/{**}");
    assertThat(op.getNotPathsList()).containsExactly("/api/internal*");
  }

  @Test
  void everyConditionIsReadWithValuesAndNotValues() {
    AuthorizationPolicy spec = Fixtures.<AuthorizationPolicy>policyIn(fixture, "bar", "every-field").spec();
    assertThat(spec.getRules(0).getWhenList())
        .containsExactly(
            Condition.newBuilder()
                .setKey("request.headers[x-tenant]")
                .addValues("acme")
                .addNotValues("acme-test")
                .build(),
            Condition.newBuilder().setKey("source.ip").addValues("127.0.0.0/8").build(),
            Condition.newBuilder().setKey("destination.port").addNotValues("15090").build(),
            Condition.newBuilder().setKey("request.auth.audiences").addValues("bookstore").build(),
            Condition.newBuilder().setKey("connection.sni").addValues("*.bar.svc.cluster.local").build());
  }

  @Test
  void customActionCarriesItsProvider() {
    AuthorizationPolicy spec = Fixtures.<AuthorizationPolicy>policyIn(fixture, "istio-system", "ext-authz").spec();
    assertThat(spec.getAction()).isEqualTo(AuthorizationPolicy.Action.CUSTOM);
    assertThat(spec.hasProvider()).isTrue();
    assertThat(spec.getProvider().getName()).isEqualTo("my-ext-authz-service");
    assertThat(spec.getRules(0).getTo(0).getOperation().getPathsList()).containsExactly("/admin/*");
  }

  @Test
  void targetRefAndTargetRefsAreRead() {
    AuthorizationPolicy gateway = Fixtures.<AuthorizationPolicy>policyIn(fixture, "istio-ingress", "gateway-target").spec();
    assertThat(gateway.getTargetRef())
        .isEqualTo(
            PolicyTargetReference.newBuilder()
                .setKind("Gateway")
                .setGroup("gateway.networking.k8s.io")
                .setName("my-gateway")
                .build());
    assertThat(gateway.hasSelector()).isFalse();

    AuthorizationPolicy services = Fixtures.<AuthorizationPolicy>policyIn(fixture, "bar", "service-targets").spec();
    assertThat(services.getTargetRefsList())
        .extracting(PolicyTargetReference::getKind, PolicyTargetReference::getGroup, PolicyTargetReference::getName)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("Service", "", "httpbin"),
            org.assertj.core.groups.Tuple.tuple("ServiceEntry", "networking.istio.io", "external-api"));
  }

  @Test
  void v1AndV1beta1ReadTheSameSpec() {
    String body = """
        kind: AuthorizationPolicy
        metadata: {name: same, namespace: foo}
        spec:
          selector: {matchLabels: {app: a}}
          rules:
          - from: [{source: {principals: ["cluster.local/ns/foo/sa/b"]}}]
        """;
    Policy<AuthorizationPolicy> v1 = Fixtures.policy("apiVersion: security.istio.io/v1\n" + body);
    Policy<AuthorizationPolicy> beta = Fixtures.policy("apiVersion: security.istio.io/v1beta1\n" + body);
    assertThat(v1.spec()).isEqualTo(beta.spec());
    assertThat(v1.meta().apiVersion()).isEqualTo("security.istio.io/v1");
    assertThat(beta.meta().apiVersion()).isEqualTo("security.istio.io/v1beta1");
  }

  @Test
  void snakeCaseFieldNamesAreAcceptedAsProtobufJsonDoes() {
    Policy<AuthorizationPolicy> p = Fixtures.policy("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: snake, namespace: foo}
        spec:
          rules:
          - from: [{source: {not_principals: ["x"]}}]
        """);
    assertThat(p.spec().getRules(0).getFrom(0).getSource().getNotPrincipalsList()).containsExactly("x");
  }

  @Test
  void missingSpecIsAnEmptySpec() {
    Policy<AuthorizationPolicy> p = Fixtures.policy("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: bare, namespace: foo}
        """);
    assertThat(p.spec()).isEqualTo(AuthorizationPolicy.getDefaultInstance());
  }
}
