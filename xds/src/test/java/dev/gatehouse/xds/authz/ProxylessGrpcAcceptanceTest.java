package dev.gatehouse.xds.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.grpc.xds.InternalRbacFilter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What Gatehouse sends a proxyless gRPC server is accepted by grpc-java's own RBAC parser (the one its xDS server
 * runs; a rejection there NACKs the whole listener), and the filter names are unique, which grpc-java requires.
 */
class ProxylessGrpcAcceptanceTest {

  private static final String EVERYTHING = """
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: jwt, namespace: foo}
      spec: {jwtRules: [{issuer: https://issuer.example, jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"AQAB"}]}'}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: allow, namespace: foo}
      spec:
        rules:
        - from:
          - source:
              principals: [cluster.local/ns/bar/sa/a, "cluster.local/ns/x/*", "*/sa/y", "*"]
              notPrincipals: [cluster.local/ns/bar/sa/b]
              namespaces: [bar, "team-*"]
              trustDomains: [cluster.local, "*.corp"]
              ipBlocks: [127.0.0.0/8, "::1"]
              remoteIpBlocks: [127.1.0.0/16]
              requestPrincipals: ["*"]
          - source: {serviceAccounts: [bar/client]}
          to:
          - operation:
              hosts: ["*.example.com"]
              methods: [POST]
              paths: ["/pkg.Svc/*", "/pkg.Other/{*}"]
              ports: ["8080"]
          when:
          - {key: "request.headers[x-tenant]", values: [acme]}
          - {key: "request.headers[grpc-tags-bin]", values: [x]}
          - {key: "request.auth.claims[groups]", values: [admin]}
          - {key: destination.ip, values: [127.0.0.11]}
          - {key: connection.sni, values: [grpc.foo]}
          - {key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"]}
        - to: [{operation: {notPaths: ["/pkg.Admin/*"]}}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: deny, namespace: foo}
      spec:
        action: DENY
        rules:
        - from: [{source: {notRequestPrincipals: ["*"]}}]
          to: [{operation: {paths: ["/pkg.Admin/{**}"]}}]
          when: [{key: request.auth.audiences, values: [api]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: audit, namespace: foo}
      spec: {action: AUDIT, rules: [{}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: custom, namespace: foo}
      spec: {action: CUSTOM, provider: {name: opa}, rules: [{to: [{operation: {paths: ["/pkg.Ext/*"]}}]}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: broken, namespace: foo}
      spec: {action: CUSTOM, rules: [{}]}
      """;

  @Test
  void grpcJavaAcceptsEveryRbacFilterAndNamesAreUnique() throws Exception {
    PolicyFixture f = PolicyFixture.of(EVERYTHING,
        AuthzOptions.defaults().withExtAuthzProviders(ExtAuthzProvider.grpc("opa", "opa.authz.svc.cluster.local", 9191)));
    assertThat(f.filters.errors()).extracting(e -> e.policy()).containsExactly("AuthorizationPolicy foo/broken");
    List<HttpFilter> filters = f.http("foo/grpc");
    assertThat(filters).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.rbac/custom-deny-all", "envoy.filters.http.rbac/custom-opa",
            "envoy.filters.http.rbac/deny", "envoy.filters.http.rbac/allow");
    assertGrpcJavaAccepts(filters);
  }

  @Test
  void twoCustomProvidersOnAProxylessServerStayAcceptable() throws Exception {
    String second = """
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: custom-http, namespace: foo}
        spec: {action: CUSTOM, provider: {name: oauth}, rules: [{to: [{operation: {paths: ["/pkg.Ui/*"]}}]}]}
        """;
    PolicyFixture f = PolicyFixture.of(EVERYTHING + second, AuthzOptions.defaults().withExtAuthzProviders(
        ExtAuthzProvider.grpc("opa", "opa.authz.svc.cluster.local", 9191),
        ExtAuthzProvider.http("oauth", "oauth.authz.svc.cluster.local", 4180)));
    List<HttpFilter> filters = f.http("foo/grpc");
    assertThat(filters).extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.rbac/custom-deny-all", "envoy.filters.http.rbac/custom-oauth",
            "envoy.filters.http.rbac/custom-opa", "envoy.filters.http.rbac/deny", "envoy.filters.http.rbac/allow");
    assertGrpcJavaAccepts(filters);
  }

  private static void assertGrpcJavaAccepts(List<HttpFilter> filters) throws Exception {
    Set<String> names = new HashSet<>();
    for (HttpFilter filter : filters) {
      assertThat(names.add(filter.getName())).as("unique name " + filter.getName()).isTrue();
      assertThat(filter.getTypedConfig().getTypeUrl())
          .isEqualTo("type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC");
      var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.parseFrom(
          filter.getTypedConfig().getValue());
      assertThatCode(() -> InternalRbacFilter.createInterceptor(shaded)).as(filter.getName()).doesNotThrowAnyException();
    }
  }

  @Test
  void theSameSidecarConfigWouldBeRejectedByGrpcJava() throws Exception {
    // Shows the check above can fail: the sidecar's ALLOW matches a grpc- header, which grpc-java refuses.
    PolicyFixture f = PolicyFixture.of(EVERYTHING,
        AuthzOptions.defaults().withExtAuthzProviders(ExtAuthzProvider.grpc("opa", "opa.authz.svc.cluster.local", 9191)));
    List<HttpFilter> sidecar = f.http("foo/app");
    HttpFilter allow = sidecar.get(sidecar.size() - 1);
    var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.parseFrom(
        allow.getTypedConfig().getValue());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> InternalRbacFilter.createInterceptor(shaded))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
