package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.allow;
import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.TranslationError;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DebugViewsTest {
  private static MeshSnapshot snapshot() {
    return mesh(3).namespace(namespace("shop"))
        .workload(pod("shop", "web", "web-sa", "127.0.0.31", false))
        .workload(pod("shop", "db", "db-sa", "127.0.0.32", false))
        .service(service("shop", "web", 8080))
        .endpointSlice(endpoints("shop", "web", 8080, "127.0.0.31"))
        .authorizationPolicy(allow("shop", "allow-all-in-shop"))
        .authorizationPolicy(new Policy<>(PolicyKind.AUTHORIZATION_POLICY, ResourceMeta.of("AuthorizationPolicy", "shop", "deny-db"),
            AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY)
                .setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", "db")).build()))
        .authorizationPolicy(allow("istio-system", "mesh-wide"))
        .authorizationPolicy(allow("other", "elsewhere"))
        .invalidPolicy(new InvalidPolicy(PolicyKind.AUTHORIZATION_POLICY, ResourceMeta.of("AuthorizationPolicy", "shop", "broken"),
            Optional.of(Map.of("app", "web")), "DENY", "rules[0].from[0].source.principals[0]: empty"))
        .build();
  }

  @Test
  void authorizationzListsAttachingPoliciesInvalidOnesAndErrors() {
    MeshSnapshot s = snapshot();
    var web = AuthorizationInEffect.of(s, s.workloads().values().stream().filter(w -> w.name().equals("web")).findFirst().orElseThrow(),
        List.of(new TranslationError("AuthorizationPolicy shop/x", "bad", "denies all")));
    assertThat(web.policies()).containsExactlyInAnyOrder(
        new AuthorizationInEffect.PolicyRef("istio-system", "mesh-wide", "ALLOW"),
        new AuthorizationInEffect.PolicyRef("shop", "allow-all-in-shop", "ALLOW"));
    assertThat(web.invalidPolicies()).extracting(AuthorizationInEffect.InvalidRef::name).containsExactly("broken");
    assertThat(web.translationErrors()).hasSize(1);

    var db = AuthorizationInEffect.of(s, s.workloads().values().stream().filter(w -> w.name().equals("db")).findFirst().orElseThrow(),
        List.of());
    assertThat(db.policies()).extracting(AuthorizationInEffect.PolicyRef::name)
        .containsExactlyInAnyOrder("mesh-wide", "allow-all-in-shop", "deny-db");
    assertThat(db.invalidPolicies()).isEmpty();
  }

  @Test
  void configDumpIsJsonOfEveryResourceWithPackedExtensionsExpanded() throws Exception {
    MeshSnapshot s = snapshot();
    ProxyConfig config = new ResourceSerializer().config(new NamespaceScopedTestGenerator().generate(s,
        new ProxyIdentity(dev.gatehouse.xds.ProxyKind.SIDECAR, dev.gatehouse.model.ObjectKey.of("shop", "web"),
            "127.0.0.31", "shop", "web-sa", Map.of())));
    String json = ConfigDumpJson.render(config);
    com.google.protobuf.Struct.Builder parsed = com.google.protobuf.Struct.newBuilder();
    JsonFormat.parser().merge(json, parsed);
    assertThat(parsed.getFieldsMap()).containsKeys(
        dev.gatehouse.xds.ProxyResources.LISTENER, dev.gatehouse.xds.ProxyResources.CLUSTER);
    assertThat(json).contains("outbound|8080||web.shop.svc.cluster.local")
        .contains("envoy.filters.http.rbac")
        .contains("ns[shop]-policy[allow-all-in-shop]")
        .contains("type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
  }
}
