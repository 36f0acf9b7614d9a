package dev.gatehouse.it.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.it.ha.ApiCalls.Call;
import dev.gatehouse.it.ha.ApiCalls.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiCallsTest {

  @Test
  void parsesRequestsAsTheApiServersAuthorizerDoes() {
    assertThat(ApiCalls.parse("GET", "/api/v1/pods?resourceVersion=0")).contains(new Call("list", "", "pods", "", ""));
    assertThat(ApiCalls.parse("GET", "/api/v1/pods?allowWatchBookmarks=true&watch=true&resourceVersion=12"))
        .contains(new Call("watch", "", "pods", "", ""));
    assertThat(ApiCalls.parse("GET", "/apis/discovery.k8s.io/v1/endpointslices?watch=1"))
        .contains(new Call("watch", "discovery.k8s.io", "endpointslices", "", ""));
    assertThat(ApiCalls.parse("GET", "/api/v1/namespaces/istio-system/secrets?fieldSelector=metadata.name%3Distio-ca-secret&watch=true"))
        .contains(new Call("watch", "", "secrets", "istio-system", "istio-ca-secret"));
    assertThat(ApiCalls.parse("PUT", "/apis/coordination.k8s.io/v1/namespaces/istio-system/leases/gatehouse-leader"))
        .contains(new Call("update", "coordination.k8s.io", "leases", "istio-system", "gatehouse-leader"));
    assertThat(ApiCalls.parse("POST", "/apis/authentication.k8s.io/v1/tokenreviews"))
        .contains(new Call("create", "authentication.k8s.io", "tokenreviews", "", ""));
    assertThat(ApiCalls.parse("PATCH", "/api/v1/namespaces/shop/configmaps/istio-ca-root-cert"))
        .contains(new Call("patch", "", "configmaps", "shop", "istio-ca-root-cert"));
    assertThat(ApiCalls.parse("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/peerauthentications.security.istio.io"))
        .contains(new Call("get", "apiextensions.k8s.io", "customresourcedefinitions", "",
            "peerauthentications.security.istio.io"));
    assertThat(ApiCalls.parse("PUT", "/api/v1/namespaces/shop/pods/web-0/status"))
        .contains(new Call("update", "", "pods/status", "shop", "web-0"));
    assertThat(ApiCalls.parse("DELETE", "/api/v1/namespaces/shop/configmaps"))
        .contains(new Call("deletecollection", "", "configmaps", "shop", ""));
  }

  @Test
  void discoveryPathsAreNotResourceRequests() {
    assertThat(ApiCalls.parse("GET", "/api")).isEmpty();
    assertThat(ApiCalls.parse("GET", "/api/v1")).isEmpty();
    assertThat(ApiCalls.parse("GET", "/apis")).isEmpty();
    assertThat(ApiCalls.parse("GET", "/apis/security.istio.io/v1")).isEmpty();
    assertThat(ApiCalls.parse("GET", "/version")).isEmpty();
  }

  @Test
  void rulesMatchGroupResourceVerbAndPinnedNames() {
    Rule pinned = new Rule(List.of(""), List.of("configmaps"), List.of("get", "patch"), List.of("istio-ca-root-cert"));
    assertThat(pinned.allows(new Call("patch", "", "configmaps", "shop", "istio-ca-root-cert"))).isTrue();
    assertThat(pinned.allows(new Call("patch", "", "configmaps", "shop", "other"))).isFalse();
    assertThat(pinned.allows(new Call("list", "", "configmaps", "", ""))).as("unnamed list vs pinned names").isFalse();
    assertThat(pinned.allows(new Call("update", "", "configmaps", "shop", "istio-ca-root-cert"))).isFalse();
    assertThat(pinned.allows(new Call("get", "apps", "configmaps", "shop", "istio-ca-root-cert"))).isFalse();
    Rule open = new Rule(List.of("discovery.k8s.io"), List.of("endpointslices"), List.of("list", "watch"), List.of());
    assertThat(open.allows(new Call("watch", "discovery.k8s.io", "endpointslices", "", ""))).isTrue();
    assertThat(open.allows(new Call("get", "discovery.k8s.io", "endpointslices", "shop", "x"))).isFalse();
  }
}
