package dev.gatehouse.xds.authz;

import static dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision.ALLOW;
import static dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision.DENY_EXT_AUTHZ;
import static dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision.DENY_RBAC;
import static dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision.REJECT_JWT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Request;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Token;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tables of (policy set, request) -> decision, checked by walking the generated filters with
 * {@link EnvoyFilterChainEvaluator}. Expected decisions are Istio's documented semantics (istio.io
 * authorization-policy reference and istio-semantics.md §2); where Gatehouse differs on purpose, the test says so.
 */
class RbacDecisionTest {
  private static final String APP = "foo/app";
  private static final String PEER_A = "spiffe://cluster.local/ns/foo/sa/a";
  private static final String PEER_B = "spiffe://cluster.local/ns/bar/sa/b";
  private static final String ISSUER = "https://issuer.example";
  private static final String JWKS =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"e\":\"AQAB\",\"n\":\"sXch\"}]}";

  private static String policy(String name, String namespace, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """.formatted(name, namespace, spec.indent(2));
  }

  private static String requestAuthn(String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: %s, namespace: foo}
        spec:
        %s
        """.formatted(name, spec.indent(2));
  }

  private static String jwtRule(String issuer) {
    return "{issuer: \"" + issuer + "\", jwks: '" + JWKS + "'}";
  }

  private static Request get(String path) {
    return Request.http("GET", path);
  }

  private static Token token(String iss, String sub) {
    return Token.bearer(Map.of("iss", iss, "sub", sub));
  }

  private static void expect(PolicyFixture f, String workload, Request r, Decision d) {
    Decision actual = r.http() ? f.decideHttp(workload, r) : f.decideTcp(workload, r);
    assertThat(actual).as("%s for %s", workload, r).isEqualTo(d);
  }

  @Test
  void noPolicyAllowsEverything() {
    PolicyFixture f = PolicyFixture.of("");
    expect(f, APP, get("/anything"), ALLOW);
    expect(f, APP, Request.tcp(8080), ALLOW);
    assertThat(f.http(APP)).isEmpty();
    assertThat(f.tcp(APP)).isEmpty();
  }

  @Test
  void emptyAllowSpecAllowsNothingOnHttpAndTcp() {
    PolicyFixture f = PolicyFixture.of(policy("allow-nothing", "foo", "{}"));
    expect(f, APP, get("/"), DENY_RBAC);
    expect(f, APP, get("/").from(PEER_A), DENY_RBAC);
    expect(f, APP, Request.tcp(8080).from(PEER_A), DENY_RBAC);
    expect(f, "bar/app", get("/"), ALLOW);
  }

  @Test
  void ruleWithNothingInItAllowsEverything() {
    PolicyFixture f = PolicyFixture.of(policy("allow-all", "foo", "rules: [{}]"));
    expect(f, APP, get("/x"), ALLOW);
    expect(f, APP, Request.tcp(9000), ALLOW);
  }

  @Test
  void denyWithoutRulesIsRejectedByValidationAndThereforeFailsClosed() {
    // Istio's webhook refuses a DENY without rules; Gatehouse keeps it as invalid, and an invalid DENY denies.
    PolicyFixture f = PolicyFixture.of(policy("deny-none", "foo", "action: DENY"));
    expect(f, APP, get("/x"), DENY_RBAC);
    expect(f, APP, Request.tcp(8080), DENY_RBAC);
    assertThat(f.filters.errors()).extracting(e -> e.policy()).containsExactly("AuthorizationPolicy foo/deny-none");
  }

  @Test
  void allowByPrincipalMatchesOnlyThatPeer() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo",
        "rules: [{from: [{source: {principals: [cluster.local/ns/foo/sa/a]}}]}]"));
    expect(f, APP, get("/").from(PEER_A), ALLOW);
    expect(f, APP, get("/").from(PEER_B), DENY_RBAC);
    expect(f, APP, get("/"), DENY_RBAC); // plaintext: no peer identity
    expect(f, APP, Request.tcp(8080).from(PEER_A), ALLOW);
    expect(f, APP, Request.tcp(8080).from(PEER_B), DENY_RBAC);
  }

  @Test
  void principalWildcardsArePrefixSuffixAndPresence() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo",
        "rules: [{from: [{source: {principals: [\"cluster.local/ns/foo/*\"]}}]}, "
            + "{from: [{source: {principals: [\"*/sa/b\"]}}]}]"));
    expect(f, APP, get("/").from(PEER_A), ALLOW);
    expect(f, APP, get("/").from(PEER_B), ALLOW);
    expect(f, APP, get("/").from("spiffe://cluster.local/ns/baz/sa/c"), DENY_RBAC);
    PolicyFixture presence = PolicyFixture.of(policy("p", "foo", "rules: [{from: [{source: {principals: [\"*\"]}}]}]"));
    expect(presence, APP, get("/").from(PEER_B), ALLOW);
    expect(presence, APP, get("/"), DENY_RBAC);
  }

  @Test
  void namespacesServiceAccountsAndTrustDomains() {
    PolicyFixture ns = PolicyFixture.of(policy("p", "foo", "rules: [{from: [{source: {namespaces: [foo]}}]}]"));
    expect(ns, APP, get("/").from(PEER_A), ALLOW);
    expect(ns, APP, get("/").from(PEER_B), DENY_RBAC);

    PolicyFixture sa = PolicyFixture.of(policy("p", "foo", "rules: [{from: [{source: {serviceAccounts: [foo/a]}}]}]"));
    expect(sa, APP, get("/").from(PEER_A), ALLOW);
    expect(sa, APP, get("/").from("spiffe://cluster.local/ns/foo/sa/ab"), DENY_RBAC);
    expect(sa, APP, get("/").from(PEER_B), DENY_RBAC);

    PolicyFixture td = PolicyFixture.of(policy("p", "foo", "rules: [{from: [{source: {trustDomains: [other.td]}}]}]"));
    expect(td, APP, get("/").from("spiffe://other.td/ns/x/sa/y"), ALLOW);
    expect(td, APP, get("/").from(PEER_A), DENY_RBAC);
  }

  @Test
  void notFieldsNegateTheWholeList() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo",
        "rules: [{from: [{source: {notNamespaces: [bar, baz]}}], to: [{operation: {notPaths: [\"/private*\"]}}]}]"));
    expect(f, APP, get("/public").from(PEER_A), ALLOW);
    expect(f, APP, get("/private/x").from(PEER_A), DENY_RBAC);
    expect(f, APP, get("/public").from(PEER_B), DENY_RBAC);
  }

  @Test
  void fromEntriesAreOredAndFieldsInsideAnded() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo", """
        rules:
        - from:
          - source: {namespaces: [foo], ipBlocks: [127.0.0.0/24]}
          - source: {principals: [cluster.local/ns/bar/sa/b]}
        """));
    expect(f, APP, get("/").from(PEER_A).ips("127.0.0.5", "127.0.0.5"), ALLOW);
    expect(f, APP, get("/").from(PEER_A).ips("127.0.1.5", "127.0.1.5"), DENY_RBAC);
    expect(f, APP, get("/").from(PEER_B).ips("127.0.1.5", "127.0.1.5"), ALLOW);
  }

  @Test
  void ipBlocksUseThePeerAndRemoteIpBlocksTheOriginalClient() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo", """
        rules:
        - from: [{source: {ipBlocks: [127.0.0.9]}}]
        - from: [{source: {remoteIpBlocks: [127.1.0.0/16]}}]
        """));
    expect(f, APP, get("/").ips("127.0.0.9", "127.2.0.1"), ALLOW);
    expect(f, APP, get("/").ips("127.0.0.8", "127.1.2.3"), ALLOW);
    expect(f, APP, get("/").ips("127.0.0.8", "127.2.0.1"), DENY_RBAC);
  }

  @Test
  void operationsMatchHostsMethodsPathsAndPorts() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo", """
        rules:
        - to:
          - operation: {hosts: ["*.example.com"], methods: [GET, HEAD], paths: ["/api/*", /health], ports: ["8080"]}
        """));
    expect(f, APP, get("/api/x").host("Shop.EXAMPLE.com"), ALLOW); // hosts are case-insensitive
    expect(f, APP, get("/health").host("a.example.com"), ALLOW);
    expect(f, APP, Request.http("POST", "/api/x").host("a.example.com"), DENY_RBAC);
    expect(f, APP, get("/admin").host("a.example.com"), DENY_RBAC);
    expect(f, APP, get("/api/x").host("a.example.com").port(9090), DENY_RBAC);
    expect(f, APP, get("/api/x?q=1").host("a.example.com"), ALLOW); // url_path ignores the query
  }

  @Test
  void pathTemplatesMatchOneOrManySegments() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo", """
        rules:
        - to: [{operation: {paths: ["/store/{*}/info", "/files/{**}"]}}]
        """));
    expect(f, APP, get("/store/123/info"), ALLOW);
    expect(f, APP, get("/store/1/2/info"), DENY_RBAC);
    expect(f, APP, get("/files/a/b/c.txt"), ALLOW);
    expect(f, APP, get("/other"), DENY_RBAC);
  }

  @Test
  void whenConditionsAndHeaders() {
    PolicyFixture f = PolicyFixture.of(policy("p", "foo", """
        rules:
        - when:
          - {key: "request.headers[x-user]", values: [alice, "bob*"]}
          - {key: source.namespace, notValues: [bar]}
          - {key: destination.port, values: ["8080"]}
        """));
    expect(f, APP, get("/").header("x-user", "alice").from(PEER_A), ALLOW);
    expect(f, APP, get("/").header("x-user", "bobby").from(PEER_A), ALLOW);
    expect(f, APP, get("/").header("x-user", "carol").from(PEER_A), DENY_RBAC);
    expect(f, APP, get("/").header("x-user", "alice").from(PEER_B), DENY_RBAC);
    expect(f, APP, get("/").header("x-user", "alice").from(PEER_A).port(9090), DENY_RBAC);
  }

  @Test
  void denyIsEvaluatedBeforeAllow() {
    PolicyFixture f = PolicyFixture.of(
        policy("allow-all", "foo", "rules: [{}]")
            + "---\n"
            + policy("deny-admin", "foo", "action: DENY\nrules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]"));
    expect(f, APP, get("/admin/users"), DENY_RBAC);
    expect(f, APP, get("/home"), ALLOW);
  }

  @Test
  void httpOnlyFieldsOnTcp_allowRuleIsDropped_denyConditionIsDropped() {
    // Istio: an ALLOW rule with HTTP-only fields is dropped on TCP chains (stricter)...
    PolicyFixture allow = PolicyFixture.of(policy("p", "foo", """
        rules:
        - to: [{operation: {methods: [GET]}}]
        - from: [{source: {principals: [cluster.local/ns/foo/sa/a]}}]
        """));
    expect(allow, APP, get("/").from(PEER_B), ALLOW);
    expect(allow, APP, Request.tcp(8080).from(PEER_B), DENY_RBAC);
    expect(allow, APP, Request.tcp(8080).from(PEER_A), ALLOW);
    // ...while a DENY loses only the HTTP condition (broader): with nothing else left it denies all TCP.
    PolicyFixture deny = PolicyFixture.of(policy("p", "foo", """
        action: DENY
        rules:
        - to: [{operation: {paths: [/admin]}}]
        """));
    expect(deny, APP, get("/home"), ALLOW);
    expect(deny, APP, Request.tcp(8080), DENY_RBAC);
    // A DENY with an HTTP condition and a TCP one keeps the TCP one.
    PolicyFixture mixed = PolicyFixture.of(policy("p", "foo", """
        action: DENY
        rules:
        - from: [{source: {namespaces: [bar]}}]
          to: [{operation: {methods: [POST]}}]
        """));
    expect(mixed, APP, Request.tcp(8080).from(PEER_B), DENY_RBAC);
    expect(mixed, APP, Request.tcp(8080).from(PEER_A), ALLOW);
  }

  @Test
  void auditPoliciesNeverChangeTheDecision() {
    PolicyFixture f = PolicyFixture.of(policy("audit", "foo", "action: AUDIT\nrules: [{}]"));
    expect(f, APP, get("/"), ALLOW);
    expect(f, APP, Request.tcp(8080), ALLOW);
  }

  @Test
  void dryRunPoliciesAreShadowOnly() {
    String deny = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: dry, namespace: foo, annotations: {istio.io/dry-run: "true"}}
        spec: {action: DENY, rules: [{}]}
        """;
    PolicyFixture f = PolicyFixture.of(deny);
    expect(f, APP, get("/"), ALLOW);
    expect(f, APP, Request.tcp(8080), ALLOW);
  }

  @Test
  void customActionAsksTheProviderOnlyForMatchingRequests() {
    String custom = policy("ext", "foo", """
        action: CUSTOM
        provider: {name: authz}
        rules: [{to: [{operation: {paths: ["/secure*"]}}]}]
        """);
    PolicyFixture f = PolicyFixture.of(custom,
        AuthzOptions.defaults().withExtAuthzProviders(ExtAuthzProvider.grpc("authz", "authz.foo.svc.cluster.local", 9000)));
    expect(f, APP, get("/secure/x").extAuthz(false), DENY_EXT_AUTHZ);
    expect(f, APP, get("/secure/x").extAuthz(true), ALLOW);
    expect(f, APP, get("/public").extAuthz(false), ALLOW);
    // gRPC providers also check TCP; the path condition is dropped there, so every connection is checked.
    expect(f, APP, Request.tcp(8080).extAuthz(false), DENY_EXT_AUTHZ);
  }

  @Test
  void customWithUnknownProviderDeniesWhatTheProviderWouldHaveJudged() {
    String custom = policy("ext", "foo", """
        action: CUSTOM
        provider: {name: missing}
        rules: [{to: [{operation: {paths: ["/secure*"]}}]}]
        """);
    PolicyFixture f = PolicyFixture.of(custom);
    expect(f, APP, get("/secure/x"), DENY_RBAC);
    expect(f, APP, get("/public"), ALLOW);
    assertThat(f.filters.errors()).anySatisfy(e -> assertThat(e.message()).contains("missing"));
  }

  @Test
  void customThenDenyThenAllow() {
    String yaml = policy("ext", "foo", """
        action: CUSTOM
        provider: {name: authz}
        rules: [{to: [{operation: {paths: ["/a*"]}}]}]
        """) + "---\n" + policy("deny", "foo", "action: DENY\nrules: [{to: [{operation: {paths: [/ab]}}]}]")
        + "---\n" + policy("allow", "foo", "rules: [{to: [{operation: {paths: [\"/a*\", /b]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml,
        AuthzOptions.defaults().withExtAuthzProviders(ExtAuthzProvider.http("authz", "authz.foo.svc.cluster.local", 8000)));
    expect(f, APP, get("/ab").extAuthz(false), DENY_EXT_AUTHZ);
    expect(f, APP, get("/ab").extAuthz(true), DENY_RBAC);
    expect(f, APP, get("/ac"), ALLOW);
    expect(f, APP, get("/b"), ALLOW);
    expect(f, APP, get("/c"), DENY_RBAC);
  }

  @Test
  void twoCustomProvidersOnOneWorkloadDenyWhatEitherWouldJudge() {
    String yaml = policy("ext-opa", "foo", """
        action: CUSTOM
        provider: {name: opa}
        rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
        """) + "---\n" + policy("ext-oauth", "foo", """
        action: CUSTOM
        provider: {name: oauth}
        selector: {matchLabels: {app: app}}
        rules: [{to: [{operation: {paths: ["/ui*"]}}]}]
        """);
    AuthzOptions providers = AuthzOptions.defaults().withExtAuthzProviders(
        ExtAuthzProvider.grpc("opa", "opa.authz.svc.cluster.local", 9191),
        ExtAuthzProvider.http("oauth", "oauth.authz.svc.cluster.local", 4180));
    PolicyFixture f = PolicyFixture.of(yaml, providers);
    // Istio: one provider per workload. foo/app has two, so neither is asked and both policies' rules deny...
    expect(f, APP, get("/admin").extAuthz(true), DENY_RBAC);
    expect(f, APP, get("/ui").extAuthz(true), DENY_RBAC);
    expect(f, APP, get("/public"), ALLOW);
    expect(f, APP, Request.tcp(8080).extAuthz(true), DENY_RBAC);
    // ...while foo/other, under ext-opa alone, still asks opa.
    expect(f, "foo/other", get("/admin").extAuthz(true), ALLOW);
    expect(f, "foo/other", get("/admin").extAuthz(false), DENY_EXT_AUTHZ);
    assertThat(f.filters.errors()).extracting(e -> e.policy())
        .containsExactly("AuthorizationPolicy foo/ext-oauth", "AuthorizationPolicy foo/ext-opa");
    assertThat(f.filters.errors()).allSatisfy(e -> assertThat(e.message()).contains("foo/app").contains("[oauth, opa]"));

    PolicyFixture optIn = PolicyFixture.of(yaml, providers.withMultipleCustomProviders(true));
    expect(optIn, APP, get("/admin").extAuthz(true), ALLOW);
    expect(optIn, APP, get("/admin").extAuthz(false), DENY_EXT_AUTHZ);
    expect(optIn, APP, get("/ui").extAuthz(false), DENY_EXT_AUTHZ);
    expect(optIn, APP, Request.tcp(8080).extAuthz(true), ALLOW);
    assertThat(optIn.filters.errors()).isEmpty();
  }

  @Test
  void envoyFilterMetadataIsEnforcedOnTcpChains() {
    String mysql = "envoy.filters.network.mysql_proxy";
    String yaml = policy("reads", "foo", """
        rules:
        - when: [{key: "experimental.envoy.filters.network.mysql_proxy[db.orders]", values: ["[select]"]}]
        """) + "---\n" + policy("no-drop", "foo", """
        action: DENY
        rules:
        - when: [{key: "experimental.envoy.filters.network.mysql_proxy[db.orders]", values: ["[drop]"]}]
        """);
    PolicyFixture f = PolicyFixture.of(yaml);
    Request select = Request.tcp(8080).filterMetadata(mysql, "db.orders", List.of("select"));
    expect(f, APP, select, ALLOW);
    expect(f, APP, Request.tcp(8080).filterMetadata(mysql, "db.orders", List.of("update")), DENY_RBAC);
    expect(f, APP, Request.tcp(8080).filterMetadata(mysql, "db.orders", List.of("select", "drop")), DENY_RBAC);
    expect(f, APP, Request.tcp(8080), DENY_RBAC);
    // Proxyless gRPC has no such matcher: the ALLOW rule cannot match and the DENY rule denies everything.
    expect(f, "foo/grpc", Request.http("POST", "/pkg.Svc/Call"), DENY_RBAC);
  }

  @Test
  void selectorsRootNamespaceAndTargetRefsDecideWhereAPolicyApplies() {
    String yaml = policy("only-other", "foo", "selector: {matchLabels: {app: other}}\n{}".replace("\n{}", ""))
        + "---\n" + policy("mesh-deny", "istio-system", "action: DENY\nrules: [{to: [{operation: {paths: [/mesh-blocked]}}]}]")
        + "---\n" + policy("gateway-only", "foo", """
            targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
            action: DENY
            rules: [{}]
            """);
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/x"), ALLOW); // selector for app=other; gateway-only does not attach to sidecars
    expect(f, "foo/other", get("/x"), DENY_RBAC); // allow-nothing selects it
    expect(f, "bar/app", get("/mesh-blocked"), DENY_RBAC); // root namespace applies mesh-wide
    expect(f, APP, get("/mesh-blocked"), DENY_RBAC);
  }

  @Test
  void invalidPoliciesFailClosedForTheirWorkloadsOnly() {
    String brokenAllow = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: broken-allow, namespace: foo}
        spec: {selector: {matchLabels: {app: app}}, rules: [{from: [{source: {ipBlocks: [not-an-ip]}}]}]}
        """;
    PolicyFixture allow = PolicyFixture.of(brokenAllow);
    expect(allow, APP, get("/").ips("127.0.0.9", "127.0.0.9"), DENY_RBAC);
    expect(allow, APP, Request.tcp(8080), DENY_RBAC);
    expect(allow, "foo/other", get("/"), ALLOW);
    assertThat(allow.filters.errors()).extracting(e -> e.policy()).contains("AuthorizationPolicy foo/broken-allow");

    String brokenDeny = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: broken-deny, namespace: foo}
        spec: {selector: {matchLabels: {app: app}}, action: DENY, rules: [{when: [{key: request.unknown, values: [x]}]}]}
        """;
    PolicyFixture deny = PolicyFixture.of(brokenDeny + "---\n" + policy("allow-all", "foo", "rules: [{}]"));
    expect(deny, APP, get("/"), DENY_RBAC);
    expect(deny, APP, Request.tcp(8080), DENY_RBAC);
    expect(deny, "foo/other", get("/"), ALLOW);

    String unknownAction = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: what, namespace: foo}
        spec: {action: REJECT, rules: [{}]}
        """;
    PolicyFixture unknown = PolicyFixture.of(unknownAction);
    expect(unknown, APP, get("/"), DENY_RBAC);
    expect(unknown, "foo/other", Request.tcp(8080), DENY_RBAC);
  }

  @Test
  void requestPrincipalsNeedAValidToken() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("require-jwt", "foo", "rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/"), DENY_RBAC); // no token: allowed by jwt_authn, but no principal for RBAC
    expect(f, APP, get("/").token(token(ISSUER, "alice")), ALLOW);
    expect(f, APP, get("/").token(new Token("header:authorization:Bearer ", Map.of("iss", ISSUER, "sub", "x"), false)),
        REJECT_JWT);
    expect(f, APP, get("/").token(token("https://other", "alice")), REJECT_JWT);
    // Istio (istio/istio#22540, #59541): "*" means a non-empty sub as well; a verified token without one, or with
    // an empty one, is not a request principal.
    expect(f, APP, get("/").token(Token.bearer(Map.of("iss", ISSUER))), DENY_RBAC);
    expect(f, APP, get("/").token(token(ISSUER, "")), DENY_RBAC);
  }

  @Test
  void everyRequestPrincipalWildcardNeedsASub() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("by-issuer", "foo", "selector: {matchLabels: {app: app}}\n"
            + "rules: [{from: [{source: {requestPrincipals: [\"" + ISSUER + "/*\"]}}]}]")
        + "---\n" + policy("by-prefix", "foo", """
            selector: {matchLabels: {app: other}}
            rules: [{when: [{key: request.auth.principal, values: ["issuer-a*", "*@corp"]}]}]
            """);
    PolicyFixture f = PolicyFixture.of(yaml.replace("jwtRules: [", "jwtRules: [{issuer: issuer-a1, jwks: '" + JWKS + "'}, "));
    Map<String, Object> noSub = Map.of("iss", ISSUER);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), ALLOW);
    expect(f, APP, get("/").token(Token.bearer(noSub)), DENY_RBAC);
    expect(f, "foo/other", get("/").token(token("issuer-a1", "bob")), ALLOW);
    expect(f, "foo/other", get("/").token(Token.bearer(Map.of("iss", "issuer-a1"))), DENY_RBAC);
    expect(f, "foo/other", get("/").token(token(ISSUER, "x@corp")), ALLOW);
    expect(f, "foo/other", get("/").token(token(ISSUER, "x@elsewhere")), DENY_RBAC);
    expect(f, "foo/other", get("/").token(Token.bearer(noSub)), DENY_RBAC);
  }

  @Test
  void denyOnNotRequestPrincipalsDeniesTokensWithoutSub() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("p", "foo", "action: DENY\nrules: [{from: [{source: {notRequestPrincipals: [\"*\"]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/").token(Token.bearer(Map.of("iss", ISSUER))), DENY_RBAC);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), ALLOW);
  }

  @Test
  void requestPrincipalSplitsIssuerAndSubjectAtTheLastSlash() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("p", "foo", "rules: [{from: [{source: {requestPrincipals: [\"" + ISSUER + "/alice\"]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), ALLOW);
    expect(f, APP, get("/").token(token(ISSUER, "bob")), DENY_RBAC);
  }

  @Test
  void denyWithoutRequestPrincipalRequiresAToken() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("p", "foo", "action: DENY\nrules: [{from: [{source: {notRequestPrincipals: [\"*\"]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/"), DENY_RBAC);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), ALLOW);
  }

  @Test
  void claimsMatchStringsAndLists() {
    String yaml = requestAuthn("jwt", "jwtRules: [" + jwtRule(ISSUER) + "]")
        + "---\n" + policy("p", "foo", """
            rules:
            - when:
              - {key: "request.auth.claims[groups]", values: [admin]}
              - {key: "request.auth.claims[realm][role]", values: ["ops*"]}
            """);
    PolicyFixture f = PolicyFixture.of(yaml);
    Map<String, Object> listClaim = Map.of("iss", ISSUER, "sub", "a", "groups", List.of("dev", "admin"),
        "realm", Map.of("role", "ops-lead"));
    Map<String, Object> stringClaim = Map.of("iss", ISSUER, "sub", "a", "groups", "admin", "realm", Map.of("role", "ops"));
    Map<String, Object> wrong = Map.of("iss", ISSUER, "sub", "a", "groups", List.of("dev"), "realm", Map.of("role", "ops"));
    expect(f, APP, get("/").token(Token.bearer(listClaim)), ALLOW);
    expect(f, APP, get("/").token(Token.bearer(stringClaim)), ALLOW);
    expect(f, APP, get("/").token(Token.bearer(wrong)), DENY_RBAC);
    expect(f, APP, get("/"), DENY_RBAC);
  }

  @Test
  void severalIssuersEachAcceptTheirOwnTokens() {
    String yaml = requestAuthn("a", "jwtRules: [" + jwtRule("https://b.example") + "]")
        + "---\n" + requestAuthn("b", "jwtRules: [" + jwtRule("https://a.example") + "]")
        + "---\n" + policy("p", "foo", "rules: [{from: [{source: {requestPrincipals: [\"https://b.example/*\"]}}]}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/").token(token("https://a.example", "x")), DENY_RBAC);
    expect(f, APP, get("/").token(token("https://b.example", "x")), ALLOW);
    expect(f, APP, get("/").token(token("https://c.example", "x")), REJECT_JWT);
  }

  @Test
  void brokenRequestAuthenticationRejectsEveryTokenButNotAnonymousRequests() {
    String broken = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: broken, namespace: foo}
        spec: {jwtRules: [{issuer: ""}]}
        """;
    PolicyFixture f = PolicyFixture.of(broken + "---\n" + requestAuthn("good", "jwtRules: [" + jwtRule(ISSUER) + "]"));
    expect(f, APP, get("/"), ALLOW);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), REJECT_JWT);
    assertThat(f.filters.errors()).extracting(e -> e.policy()).contains("RequestAuthentication foo/broken");
  }

  @Test
  void unfetchedJwksRejectsTokensOfThatIssuer() {
    String yaml = requestAuthn("jwt", "jwtRules: [{issuer: \"" + ISSUER + "\", jwksUri: \"https://issuer.example/keys\"}]");
    PolicyFixture f = PolicyFixture.of(yaml);
    expect(f, APP, get("/").token(token(ISSUER, "alice")), REJECT_JWT);
    expect(f, APP, get("/"), ALLOW);
    assertThat(f.filters.errors()).anySatisfy(e -> assertThat(e.message()).contains("not available"));
  }

  @Test
  void proxylessGrpcFailsClosedOnJwtConditions() {
    // grpc-java has no jwt_authn: an ALLOW rule needing a request principal can never match...
    String allow = policy("p", "foo", """
        rules:
        - from: [{source: {requestPrincipals: ["*"]}}]
        - from: [{source: {namespaces: [bar]}}]
        """);
    PolicyFixture f = PolicyFixture.of(allow);
    expect(f, "foo/grpc", Request.http("POST", "/pkg.Svc/Call").token(token(ISSUER, "a")), DENY_RBAC);
    expect(f, "foo/grpc", Request.http("POST", "/pkg.Svc/Call").from(PEER_B), ALLOW);
    assertThat(f.http("foo/grpc")).extracting(h -> h.getName()).doesNotContain("envoy.filters.http.jwt_authn");
    // ...and a DENY rule needing one denies as if the condition held.
    PolicyFixture deny = PolicyFixture.of(policy("p", "foo", """
        action: DENY
        rules: [{from: [{source: {notRequestPrincipals: ["*"]}}], to: [{operation: {paths: ["/pkg.Admin/*"]}}]}]
        """));
    expect(deny, "foo/grpc", Request.http("POST", "/pkg.Admin/Drop").token(token(ISSUER, "a")), DENY_RBAC);
    expect(deny, "foo/grpc", Request.http("POST", "/pkg.Svc/Call"), ALLOW);
  }

  @Test
  void trustDomainAliasesAcceptIdentitiesFromTheOldDomain() {
    PolicyFixture f = withAliases("new.td", "old.td", "old.td/ns/foo/sa/a");
    expect(f, APP, get("/").from("spiffe://new.td/ns/foo/sa/a"), ALLOW);
    expect(f, APP, get("/").from("spiffe://old.td/ns/foo/sa/a"), ALLOW);
    expect(f, APP, get("/").from("spiffe://other.td/ns/foo/sa/a"), DENY_RBAC);
  }

  @Test
  void wildcardTrustDomainsMatchingAnAliasCoverTheWholeBundle() {
    PolicyFixture f = withAliases("td1", "foobar", "*bar/ns/foo/sa/a");
    expect(f, APP, get("/").from("spiffe://td1/ns/foo/sa/a"), ALLOW);
    expect(f, APP, get("/").from("spiffe://foobar/ns/foo/sa/a"), ALLOW);
    expect(f, APP, get("/").from("spiffe://zbar/ns/foo/sa/a"), ALLOW);
    expect(f, APP, get("/").from("spiffe://td2/ns/foo/sa/a"), DENY_RBAC);
    expect(f, APP, get("/").from("spiffe://td1/ns/foo/sa/b"), DENY_RBAC);
  }

  private static PolicyFixture withAliases(String trustDomain, String alias, String allowedPrincipal) {
    MeshConfig mesh = new MeshConfig(trustDomain, List.of(alias), "istio-system", MtlsMode.PERMISSIVE, "cluster.local");
    return PolicyFixture.of(
        policy("p", "foo", "rules: [{from: [{source: {principals: [\"" + allowedPrincipal + "\"]}}]}]"), mesh,
        AuthzOptions.defaults());
  }
}
