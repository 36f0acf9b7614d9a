package dev.gatehouse.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MeshSnapshotTest {
  private static MeshSnapshot mesh;

  private static final String MESH_YAML = """
      apiVersion: v1
      kind: Namespace
      metadata: {name: shop}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: bank}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: cart-1, namespace: shop, labels: {app: cart, version: v1}}
      status: {podIP: 127.0.0.11}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: cart-2, namespace: shop, labels: {app: cart, version: v2}}
      status: {podIP: 127.0.0.12}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: web-1, namespace: shop, labels: {app: web}}
      status: {podIP: 127.0.0.13}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: cart-1, namespace: bank, labels: {app: cart}}
      status: {podIP: 127.0.0.21}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: pending, namespace: bank, labels: {app: cart}}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: cart, namespace: shop}
      spec: {selector: {app: cart}, ports: [{port: 80}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: cart-v2, namespace: shop}
      spec: {selector: {app: cart, version: v2}, ports: [{port: 80}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: manual, namespace: shop}
      spec: {ports: [{port: 80}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: cart, namespace: bank}
      spec: {selector: {app: cart}, ports: [{port: 80}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: cart-a, namespace: shop, labels: {kubernetes.io/service-name: cart}}
      endpoints: [{addresses: [127.0.0.11]}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: cart-b, namespace: shop, labels: {kubernetes.io/service-name: cart}}
      endpoints: [{addresses: [127.0.0.12]}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: cart-x, namespace: bank, labels: {kubernetes.io/service-name: cart}}
      endpoints: [{addresses: [127.0.0.21]}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: zz-oldest, namespace: shop, creationTimestamp: "2020-01-01T00:00:00Z"}
      spec: {}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: newest, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
      spec: {rules: [{}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-middle, namespace: shop, creationTimestamp: "2022-01-01T00:00:00Z"}
      spec: {action: DENY, rules: [{}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: a-middle, namespace: shop, creationTimestamp: "2022-01-01T00:00:00Z"}
      spec: {action: DENY, rules: [{}]}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: other, namespace: bank, creationTimestamp: "2019-01-01T00:00:00Z"}
      spec: {}
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: broken, namespace: bank}
      spec: {acton: DENY}
      ---
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: default, namespace: istio-system}
      spec: {mtls: {mode: STRICT}}
      """;

  @BeforeAll
  static void load() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(MESH_YAML, MeshConfig.defaults());
    assertThat(loaded.problems()).isEmpty();
    mesh = loaded.snapshot();
  }

  private static List<String> names(List<? extends Object> objects) {
    return objects.stream()
        .map(o -> o instanceof Workload w ? w.name() : o instanceof ServiceInfo s ? s.name()
            : o instanceof Policy<?> p ? p.name() : ((EndpointSliceInfo) o).meta().name())
        .toList();
  }

  @Test
  void workloadsAreIndexedByNamespace() {
    assertThat(names(mesh.workloadsInNamespace("shop"))).containsExactly("cart-1", "cart-2", "web-1");
    assertThat(names(mesh.workloadsInNamespace("bank"))).containsExactly("cart-1", "pending");
    assertThat(mesh.workloadsInNamespace("nowhere")).isEmpty();
  }

  @Test
  void workloadsMatchingASelectorStayInTheirNamespace() {
    assertThat(names(mesh.workloadsMatching("shop", Map.of("app", "cart")))).containsExactly("cart-1", "cart-2");
    assertThat(names(mesh.workloadsMatching("shop", Map.of("app", "cart", "version", "v2")))).containsExactly("cart-2");
    assertThat(names(mesh.workloadsMatching("shop", Map.of()))).containsExactly("cart-1", "cart-2", "web-1");
    assertThat(mesh.workloadsMatching("shop", Map.of("app", "db"))).isEmpty();
    assertThat(mesh.workloadsMatching("bank", Map.of("app", "cart")))
        .extracting(Workload::key)
        .containsExactly(ObjectKey.of("bank", "cart-1"), ObjectKey.of("bank", "pending"));
  }

  @Test
  void repeatedSelectorLookupsGiveTheSameAnswer() {
    List<Workload> first = mesh.workloadsMatching("shop", Map.of("app", "cart"));
    List<Workload> again = mesh.workloadsMatching("shop", new java.util.HashMap<>(Map.of("app", "cart")));
    assertThat(again).isSameAs(first);
  }

  @Test
  void servicesForAWorkloadAreThoseWhoseSelectorMatchesInItsNamespace() {
    assertThat(names(mesh.servicesForWorkload(ObjectKey.of("shop", "cart-1")))).containsExactly("cart");
    assertThat(names(mesh.servicesForWorkload(ObjectKey.of("shop", "cart-2")))).containsExactly("cart", "cart-v2");
    assertThat(mesh.servicesForWorkload(ObjectKey.of("shop", "web-1"))).isEmpty();
    assertThat(mesh.servicesForWorkload(ObjectKey.of("bank", "cart-1")))
        .extracting(ServiceInfo::key).containsExactly(ObjectKey.of("bank", "cart"));
    assertThat(mesh.servicesForWorkload(ObjectKey.of("shop", "unknown"))).isEmpty();
  }

  @Test
  void servicesByNamespaceAndFqdn() {
    assertThat(names(mesh.servicesInNamespace("shop"))).containsExactly("cart", "cart-v2", "manual");
    assertThat(mesh.serviceByFqdn("cart.bank.svc.cluster.local")).map(ServiceInfo::key)
        .contains(ObjectKey.of("bank", "cart"));
    assertThat(mesh.serviceByFqdn("cart.bank")).isEmpty();
  }

  @Test
  void endpointSlicesAreIndexedByTheirService() {
    assertThat(names(mesh.endpointSlicesForService(ObjectKey.of("shop", "cart")))).containsExactly("cart-a", "cart-b");
    assertThat(names(mesh.endpointSlicesForService(ObjectKey.of("bank", "cart")))).containsExactly("cart-x");
    assertThat(mesh.endpointSlicesForService(ObjectKey.of("shop", "manual"))).isEmpty();
  }

  @Test
  void workloadByIp() {
    assertThat(mesh.workloadByIp("127.0.0.12")).map(Workload::key).contains(ObjectKey.of("shop", "cart-2"));
    assertThat(mesh.workloadByIp("127.0.0.21")).map(Workload::key).contains(ObjectKey.of("bank", "cart-1"));
    assertThat(mesh.workloadByIp("127.0.0.99")).isEmpty();
    assertThat(mesh.workloadByIp("")).isEmpty();
  }

  @Test
  void anIpSharedBySeveralPodsNamesNoWorkload() {
    MeshSnapshot shared = MeshSnapshotLoader.load("""
        apiVersion: v1
        kind: Pod
        metadata: {name: node-agent-a, namespace: kube-system}
        spec: {hostNetwork: true}
        status: {podIP: 127.0.0.50}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: node-agent-b, namespace: monitoring}
        spec: {hostNetwork: true}
        status: {podIP: 127.0.0.50}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: alone, namespace: shop}
        status: {podIP: 127.0.0.51}
        """, MeshConfig.defaults()).snapshot();
    assertThat(shared.workloadByIp("127.0.0.50")).isEmpty();
    assertThat(shared.workloadByIp("127.0.0.51")).map(Workload::name).contains("alone");
    assertThat(shared.workloads()).hasSize(3);
  }

  @Test
  void aDerivedSnapshotSharesTheKindsItDidNotTouchAndRecordsTheSlicesItDid() {
    Workload first = mesh.workloads().values().iterator().next();
    EndpointSliceInfo slice = new EndpointSliceInfo(ResourceMeta.of("EndpointSlice", "shop", "web-new"), "web",
        List.of(), List.of());
    MeshSnapshot derived = mesh.toBuilder(mesh.version() + 1).endpointSlice(slice).remove(first).build();
    assertThat(derived.version()).isEqualTo(mesh.version() + 1);
    assertThat(derived.workloads()).doesNotContainKey(first.key()).hasSize(mesh.workloads().size() - 1);
    assertThat(derived.workload(first.key())).isEmpty();
    assertThat(derived.workloadsInNamespace(first.namespace())).doesNotContain(first);
    assertThat(derived.endpointSlices()).containsEntry(slice.meta().key(), slice);
    // Untouched kinds: the base's instances, indexes included.
    assertThat(derived.services()).isSameAs(mesh.services());
    assertThat(derived.authorizationPolicies()).isSameAs(mesh.authorizationPolicies());
    assertThat(derived.namespaces()).isSameAs(mesh.namespaces());
    assertThat(derived.workloads()).isNotSameAs(mesh.workloads());
    // The touched slice keys, known only against the direct base.
    assertThat(derived.endpointSlicesChangedSince(mesh)).contains(java.util.Set.of(slice.meta().key()));
    MeshSnapshot again = derived.toBuilder(derived.version() + 1).build();
    assertThat(again.endpointSlicesChangedSince(derived)).contains(java.util.Set.of());
    assertThat(again.endpointSlicesChangedSince(mesh)).isEmpty();
    assertThat(mesh.endpointSlicesChangedSince(derived)).isEmpty();
    // Removing the added slice again gives the base's content (a new map).
    MeshSnapshot back = derived.toBuilder(derived.version() + 1).remove(slice).workload(first).build();
    assertThat(back.endpointSlices()).isEqualTo(mesh.endpointSlices());
    assertThat(back.workloads()).isEqualTo(mesh.workloads());
  }

  @Test
  void policiesInANamespaceAreOldestFirstThenByName() {
    // Istio: within one scope the oldest policy wins, so translators read them in this order.
    assertThat(names(mesh.authorizationPoliciesIn("shop")))
        .containsExactly("zz-oldest", "a-middle", "b-middle", "newest");
    assertThat(names(mesh.authorizationPoliciesIn("bank"))).containsExactly("other");
    assertThat(names(mesh.authorizationPolicies()))
        .containsExactly("other", "zz-oldest", "a-middle", "b-middle", "newest");
    assertThat(names(mesh.peerAuthenticationsIn("istio-system"))).containsExactly("default");
    assertThat(mesh.requestAuthenticationsIn("shop")).isEmpty();
    assertThat(mesh.destinationRulesIn("shop")).isEmpty();
  }

  @Test
  void invalidPoliciesAreIndexedByNamespace() {
    assertThat(mesh.invalidPoliciesIn("bank")).singleElement().satisfies(p -> {
      assertThat(p.meta().name()).isEqualTo("broken");
      assertThat(p.kind()).isEqualTo(PolicyKind.AUTHORIZATION_POLICY);
    });
    assertThat(mesh.invalidPoliciesIn("shop")).isEmpty();
  }

  @Test
  void countsNameEveryKind() {
    assertThat(mesh.counts()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "Namespace", 2, "ServiceAccount", 0, "Pod", 5, "Service", 4, "EndpointSlice", 3,
        "PeerAuthentication", 1, "AuthorizationPolicy", 5, "RequestAuthentication", 0, "DestinationRule", 0,
        "invalid", 1));
    assertThat(mesh.toString()).startsWith("MeshSnapshot{version=1, ");
  }

  @Test
  void toBuilderCopiesEverythingIntoANewVersionWithoutChangingTheOriginal() {
    Workload extra = new Workload(
        new ResourceMeta("v1", "Pod", "shop", "web-2", Instant.EPOCH, "", Map.of("app", "web"), Map.of(), ""),
        "web", "127.0.0.14", List.of(), true, false);
    MeshSnapshot next = mesh.toBuilder(2).workload(extra).build();

    assertThat(next.version()).isEqualTo(2);
    assertThat(next.counts()).containsEntry("Pod", 6).containsEntry("invalid", 1).containsEntry("AuthorizationPolicy", 5);
    assertThat(names(next.workloadsMatching("shop", Map.of("app", "web")))).containsExactly("web-1", "web-2");
    assertThat(next.workloadByIp("127.0.0.14")).contains(extra);

    assertThat(mesh.version()).isEqualTo(1);
    assertThat(mesh.counts()).containsEntry("Pod", 5);
    assertThat(names(mesh.workloadsMatching("shop", Map.of("app", "web")))).containsExactly("web-1");
    assertThat(mesh.workloadByIp("127.0.0.14")).isEmpty();
  }

  @Test
  void aLaterObjectWithTheSameKeyReplacesTheEarlierOne() {
    ResourceMeta meta = new ResourceMeta("security.istio.io/v1", "PeerAuthentication", "istio-system", "default",
        Instant.EPOCH, "2", Map.of(), Map.of(), "");
    PeerAuthentication disable = PeerAuthentication.newBuilder()
        .setMtls(PeerAuthentication.MutualTLS.newBuilder().setMode(PeerAuthentication.MutualTLS.Mode.DISABLE))
        .build();
    MeshSnapshot next = mesh.toBuilder(2).add(new Policy<>(PolicyKind.PEER_AUTHENTICATION, meta, disable)).build();
    assertThat(next.peerAuthentications()).singleElement()
        .satisfies(p -> assertThat(p.spec().getMtls().getMode()).isEqualTo(PeerAuthentication.MutualTLS.Mode.DISABLE));
  }

  @Test
  void collectionsHandedOutCannotBeModified() {
    assertThatThrownBy(() -> mesh.workloadsInNamespace("shop").clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> mesh.workloads().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> mesh.authorizationPolicies().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> mesh.workloadsMatching("shop", Map.of()).clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builderAddRejectsThingsThatAreNotMeshObjects() {
    assertThatThrownBy(() -> MeshSnapshot.builder(1, MeshConfig.defaults()).add("a string"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptySnapshotHasVersionZero() {
    MeshSnapshot empty = MeshSnapshot.empty(MeshConfig.defaults());
    assertThat(empty.version()).isZero();
    assertThat(empty.workloads()).isEmpty();
    assertThat(empty.workload(ObjectKey.of("a", "b"))).isEqualTo(Optional.empty());
    assertThat(empty.authorizationPoliciesIn("a")).isEmpty();
  }

  @Test
  void policySpecIsTypedForTranslators() {
    Policy<AuthorizationPolicy> deny = mesh.authorizationPoliciesIn("shop").get(1);
    assertThat(deny.spec().getAction()).isEqualTo(AuthorizationPolicy.Action.DENY);
  }
}
