package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IstioValueRulesTest {

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "::", "fe80::1", "::ffff:127.0.0.1",
      "2001:db8::/32", "127.0.0.0/8", "127.0.0.1/32", "0.0.0.0/0", "::/0"})
  void validAddressesAndRanges(String v) {
    assertThat(IstioValueRules.validateIps(List.of(v))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"256.0.0.1", "127.0.0", "127.0.0.01", "localhost", "example.com", "127.0.0.1/33",
      "::1/129", "127.0.0.0/", "127.0.0.0/08", "/8", "1.2.3.4/8/8", "::g", "[::1]", "", " 127.0.0.1"})
  void invalidAddressesAndRanges(String v) {
    assertThat(IstioValueRules.validateIps(List.of(v))).hasSize(1);
  }

  @Test
  void ipErrorsNameTheValueAsIstioDoes() {
    assertThat(IstioValueRules.validateIps(List.of("127.0.0.1/40", "nope")))
        .containsExactly("bad CIDR range (127.0.0.1/40)", "bad IP address (nope)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1", "80", "8080", "65535", "080"})
  void validPorts(String v) {
    assertThat(IstioValueRules.validatePorts(List.of(v))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"65536", "-1", "+80", "http", "80-90", "", "99999999999"})
  void invalidPorts(String v) {
    assertThat(IstioValueRules.validatePorts(List.of(v))).containsExactly("bad port (" + v + ")");
  }

  @Test
  void emptyValuesAreRejected() {
    assertThat(IstioValueRules.checkEmptyValues("Paths", List.of("/a", ""))).containsExactly(
        "empty value not allowed, found in Paths");
    assertThat(IstioValueRules.checkEmptyValues("Paths", List.of("/a"))).isEmpty();
  }

  @Test
  void wildcardsOnlyAtOneEnd() {
    assertThat(IstioValueRules.checkWildcardValues("TrustDomains", List.of("*", "*.example.org", "cluster.*"))).isEmpty();
    assertThat(IstioValueRules.checkWildcardValues("TrustDomains", List.of("a*b")))
        .containsExactly("wildcard is only allowed at the start or end, found in TrustDomains: \"a*b\"");
    assertThat(IstioValueRules.checkWildcardValues("TrustDomains", List.of("*a*")))
        .containsExactly("at most one wildcard is allowed, found in TrustDomains: \"*a*\"");
  }

  @Test
  void trustDomainsHaveNoSlash() {
    assertThat(IstioValueRules.checkTrustDomainValues("TrustDomains", List.of("cluster.local/ns")))
        .containsExactly("trust domain must not contain '/', found in TrustDomains: \"cluster.local/ns\"");
  }

  @Test
  void serviceAccountsAreNameOrNamespaceSlashName() {
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("sa", "ns/sa"))).isEmpty();
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("a/b/c"))).singleElement()
        .asString().startsWith("expected format 'serviceAccount' or 'namespace/serviceAccount'");
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("/sa"))).singleElement()
        .asString().contains("found empty namespace");
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("ns/"))).singleElement()
        .asString().contains("found empty serviceAccount");
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("ns/*")))
        .containsExactly("wildcard not allowed, found in ServiceAccounts");
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", Collections.nCopies(17, "sa")))
        .containsExactly("may not have more than 16 values");
    assertThat(IstioValueRules.checkServiceAccount("ServiceAccounts", List.of("n/" + "s".repeat(330))))
        .singleElement().asString().startsWith("value cannot exceed 320 characters");
  }

  @Test
  void pathTemplatesFollowIstioRules() {
    assertThat(IstioValueRules.checkValidPathTemplate("Paths",
        List.of("/foo/{*}/bar", "/foo/{**}", "/{*}/{*}/x", "/plain*", "*/suffix"))).isEmpty();
    assertThat(IstioValueRules.checkValidPathTemplate("Paths", List.of("/foo/{**}/{*}")))
        .singleElement().asString().endsWith("{**} is not the last operator");
    assertThat(IstioValueRules.checkValidPathTemplate("Paths", List.of("/foo/{id}")))
        .singleElement().asString().endsWith("Contains '{' or '}' beyond a supported path template");
    assertThat(IstioValueRules.checkValidPathTemplate("Paths", List.of("/foo/{*}/a b")))
        .singleElement().asString().endsWith("Contains segment a b with invalid string literal");
  }

  @Test
  void conditionKeysIstioKnows() {
    for (String key : List.of("request.headers[x-id]", "source.ip", "remote.ip", "source.namespace",
        "source.principal", "request.auth.principal", "request.auth.audiences", "request.auth.presenter",
        "request.auth.claims[groups]", "request.auth.claims[nested][claim]", "destination.ip", "connection.sni",
        "experimental.envoy.filters.network.mysql_proxy[db.table]")) {
      assertThat(IstioValueRules.validateAttribute(key, List.of("x")))
          .as(key)
          .allSatisfy(e -> assertThat(e).doesNotContain("unknown attribute"));
    }
    assertThat(IstioValueRules.validateAttribute("source.trustDomain", List.of("cluster.local"))).isEmpty();
    assertThat(IstioValueRules.validateAttribute("source.serviceAccount", List.of("ns/sa"))).isEmpty();
    assertThat(IstioValueRules.validateAttribute("destination.port", List.of("8080"))).isEmpty();
  }

  @Test
  void conditionValuesAreCheckedForTheirKey() {
    assertThat(IstioValueRules.validateAttribute("source.ip", List.of("not-an-ip")))
        .containsExactly("bad IP address (not-an-ip)");
    assertThat(IstioValueRules.validateAttribute("destination.port", List.of("http")))
        .containsExactly("bad port (http)");
    assertThat(IstioValueRules.validateAttribute("request.headers", List.of("x")))
        .containsExactly("bad key (request.headers): should have format a[b]");
    assertThat(IstioValueRules.validateAttribute("request.auth.claims[]", List.of("x")))
        .containsExactly("bad key (request.auth.claims[]): should have format a[b]");
    assertThat(IstioValueRules.validateAttribute("source.namespace", List.of("")))
        .containsExactly("empty value not allowed, found in source.namespace");
  }

  @Test
  void unknownAndRetiredConditionKeysAreRejected() {
    assertThat(IstioValueRules.validateAttribute("source.user", List.of("x")))
        .containsExactly("unknown attribute: source.user");
    assertThat(IstioValueRules.validateAttribute("destination.namespace", List.of("x")))
        .containsExactly("attribute destination.namespace is replaced by the metadata.namespace");
    assertThat(IstioValueRules.validateAttribute("destination.labels[app]", List.of("x")))
        .containsExactly("attribute destination.labels[app] is replaced by the workload selector");
    assertThat(IstioValueRules.validateAttribute("destination.user", List.of("x")))
        .containsExactly("deprecated attribute destination.user: only supported in v1alpha1");
  }

  @Test
  void jwksUriMustBeHttpOrHttps() {
    assertThat(IstioValueRules.validateJwksUri("https://example.com/jwks.json")).isEmpty();
    assertThat(IstioValueRules.validateJwksUri("HTTP://example.com:8080/jwks")).isEmpty();
    assertThat(IstioValueRules.validateJwksUri("ftp://example.com/jwks"))
        .containsExactly("URI scheme \"ftp\" is not supported");
    assertThat(IstioValueRules.validateJwksUri("example.com/jwks"))
        .containsExactly("URI scheme \"\" is not supported");
    assertThat(IstioValueRules.validateJwksUri("https://exa mple.com/")).singleElement()
        .asString().startsWith("jwksUri is not a valid URI");
  }

  @Test
  void strictHeaderNames() {
    assertThat(IstioValueRules.validateStrictHeaderName("x-jwt_claim-1")).isEmpty();
    assertThat(IstioValueRules.validateStrictHeaderName(":authority"))
        .containsExactly("header name :authority is not a valid header name");
    assertThat(IstioValueRules.validateStrictHeaderName("")).containsExactly("header name cannot be empty");
  }

  @Test
  void selectorsHaveNoEmptyKeysOrWildcards() {
    assertThat(IstioValueRules.validateWorkloadSelector(selector("app", "a"))).isEmpty();
    assertThat(IstioValueRules.validateWorkloadSelector(selector("", "a")))
        .containsExactly("empty key is not supported in selector: \"=a\"");
    assertThat(IstioValueRules.validateWorkloadSelector(selector("app", "web-*")))
        .containsExactly("wildcard is not supported in selector: \"app=web-*\"");
  }

  @Test
  void selectorValuesLongerThanALabelCanBeAreRejected() {
    assertThat(IstioValueRules.validateWorkloadSelector(selector("app", "a".repeat(63)))).isEmpty();
    assertThat(IstioValueRules.validateWorkloadSelector(selector("app", "a".repeat(64)))).singleElement()
        .asString().startsWith("selector value must be at most 63 characters");
  }

  @Test
  void atMostSixteenTargetRefs() {
    assertThat(IstioValueRules.validateTargetRefCount(16)).isEmpty();
    assertThat(IstioValueRules.validateTargetRefCount(17)).containsExactly("targetRefs may not have more than 16 items");
  }

  @Test
  void selectorAndTargetRefsExcludeEachOther() {
    PolicyTargetReference ref = service("a");
    assertThat(IstioValueRules.validateOneOfSelectorType(true, false, List.of())).isEmpty();
    assertThat(IstioValueRules.validateOneOfSelectorType(false, true, List.of())).isEmpty();
    assertThat(IstioValueRules.validateOneOfSelectorType(false, false, List.of(ref))).isEmpty();
    assertThat(IstioValueRules.validateOneOfSelectorType(true, false, List.of(ref)))
        .containsExactly("only one of targetRefs or workloadSelector can be set");
    assertThat(IstioValueRules.validateOneOfSelectorType(false, true, List.of(ref)))
        .containsExactly("only one of targetRefs or workloadSelector can be set");
  }

  @Test
  void targetRefsNameASupportedKindInTheSameNamespace() {
    assertThat(IstioValueRules.validatePolicyTargetReference(service("a"))).isEmpty();
    assertThat(IstioValueRules.validatePolicyTargetReference(
        PolicyTargetReference.newBuilder().setGroup("gateway.networking.k8s.io").setKind("GatewayClass").setName("istio").build()))
        .isEmpty();
    assertThat(IstioValueRules.validatePolicyTargetReference(
        PolicyTargetReference.newBuilder().setGroup("networking.istio.io").setKind("ServiceEntry").setName("x").build()))
        .isEmpty();
    assertThat(IstioValueRules.validatePolicyTargetReference(service("")))
        .containsExactly("targetRef name must be set");
    assertThat(IstioValueRules.validatePolicyTargetReference(service("a").toBuilder().setNamespace("other").build()))
        .containsExactly("targetRef namespace must not be set; cross namespace referencing is not supported");
    assertThat(IstioValueRules.validatePolicyTargetReference(
        PolicyTargetReference.newBuilder().setGroup("apps").setKind("Deployment").setName("x").build()))
        .singleElement().asString().endsWith("but was apps/Deployment");
  }

  @Test
  void goBooleans() {
    for (String b : List.of("1", "t", "T", "true", "TRUE", "True", "0", "f", "F", "false", "FALSE", "False")) {
      assertThat(IstioValueRules.isGoBool(b)).as(b).isTrue();
    }
    for (String b : List.of("yes", "on", "", "tRuE")) {
      assertThat(IstioValueRules.isGoBool(b)).as(b).isFalse();
    }
  }

  private static WorkloadSelector selector(String k, String v) {
    return WorkloadSelector.newBuilder().putMatchLabels(k, v).build();
  }

  private static PolicyTargetReference service(String name) {
    return PolicyTargetReference.newBuilder().setKind("Service").setName(name).build();
  }
}
