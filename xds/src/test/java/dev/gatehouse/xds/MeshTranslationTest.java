package dev.gatehouse.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import org.junit.jupiter.api.Test;

/** Sharing between proxies and reuse across snapshots, on the benchmark's synthetic mesh shape (small). */
class MeshTranslationTest {
  private static ProxyIdentity sidecar(Workload w) {
    return new ProxyIdentity(ProxyKind.SIDECAR, w.key(), w.ip(), w.namespace(), w.serviceAccount(), w.labels());
  }

  private static Workload pod(MeshSnapshot s, String ns, String name) {
    return s.workload(ObjectKey.of(ns, name)).orElseThrow();
  }

  @Test
  void replicasWithTheSameInputsShareOneResourceSet() {
    MeshSnapshot s = TranslationBenchmark.mesh(1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyResources a = t.generate(s, sidecar(pod(s, "ns-3", "svc-60-0")));
    ProxyResources b = t.generate(s, sidecar(pod(s, "ns-3", "svc-60-1")));
    ProxyResources other = t.generate(s, sidecar(pod(s, "ns-3", "svc-61-0")));
    assertThat(a).isSameAs(b);
    assertThat(other).isNotSameAs(a);
    // Outbound resources are shared within the namespace; the inbound listener differs (different policies apply).
    assertThat(other.of(ProxyResources.ROUTE)).isSameAs(a.of(ProxyResources.ROUTE));
    assertThat(other.of(ProxyResources.LISTENER).get("virtualInbound"))
        .isNotEqualTo(a.of(ProxyResources.LISTENER).get("virtualInbound"));
  }

  @Test
  void changedNamespacePolicyRetranslatesOnlyThatNamespace() {
    MeshSnapshot s1 = TranslationBenchmark.mesh(1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyIdentity inChanged = sidecar(pod(s1, "ns-7", "svc-140-0"));
    ProxyIdentity elsewhere = sidecar(pod(s1, "ns-8", "svc-160-0"));
    ProxyResources before = t.generate(s1, inChanged);
    ProxyResources untouched = t.generate(s1, elsewhere);

    MeshSnapshot s2 = TranslationBenchmark.mesh(2, 1); // rewrites AuthorizationPolicy ns-7/svc-140-p0
    ProxyResources after = t.generate(s2, inChanged);
    assertThat(t.generate(s2, elsewhere)).isSameAs(untouched);
    assertThat(after).isNotSameAs(before);
    Listener l1 = (Listener) before.of(ProxyResources.LISTENER).get("virtualInbound");
    Listener l2 = (Listener) after.of(ProxyResources.LISTENER).get("virtualInbound");
    assertThat(l2).isNotEqualTo(l1); // the RBAC filter carries the new rule
    assertThat(after.of(ProxyResources.CLUSTER).get("outbound|80||svc-0.ns-0.svc.cluster.local"))
        .isSameAs(before.of(ProxyResources.CLUSTER).get("outbound|80||svc-0.ns-0.svc.cluster.local"));
  }

  @Test
  void namespaceScopedMeshGivesEachProxyItsNamespacesServicesOnly() {
    MeshSnapshot s = TranslationBenchmark.mesh(
        dev.gatehouse.model.MeshConfig.defaults().withDefaultServiceExportTo(java.util.List.of(".")), 1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(), x -> InboundPolicySource.NONE);
    ProxyResources ns3 = t.generate(s, sidecar(pod(s, "ns-3", "svc-60-0")));
    ProxyResources ns8 = t.generate(s, sidecar(pod(s, "ns-8", "svc-160-0")));
    assertThat(ns3.of(ProxyResources.CLUSTER)).containsKey("outbound|80||svc-61.ns-3.svc.cluster.local")
        .doesNotContainKey("outbound|80||svc-160.ns-8.svc.cluster.local");
    assertThat(ns8.of(ProxyResources.CLUSTER)).containsKey("outbound|80||svc-160.ns-8.svc.cluster.local")
        .doesNotContainKey("outbound|80||svc-61.ns-3.svc.cluster.local");
    assertThat(ns3.of(ProxyResources.ENDPOINT)).hasSize(20 * 2);
    var route = (io.envoyproxy.envoy.config.route.v3.RouteConfiguration) ns3.of(ProxyResources.ROUTE).get("80");
    assertThat(route.getVirtualHostsList()).hasSize(20 + 1); // own services + allow_any
  }

  @Test
  void unscopedNamespacesShareOutboundClustersButNotRoutes() {
    MeshSnapshot s = TranslationBenchmark.mesh(1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(), x -> InboundPolicySource.NONE);
    ProxyResources ns3 = t.generate(s, sidecar(pod(s, "ns-3", "svc-60-0")));
    ProxyResources ns8 = t.generate(s, sidecar(pod(s, "ns-8", "svc-160-0")));
    assertThat(ns3.of(ProxyResources.ENDPOINT)).isSameAs(ns8.of(ProxyResources.ENDPOINT));
    assertThat(ns3.of(ProxyResources.ENDPOINT)).hasSize(TranslationBenchmark.SERVICES * 2);
    // The short name "svc-60" resolves only in ns-3.
    var r3 = (io.envoyproxy.envoy.config.route.v3.RouteConfiguration) ns3.of(ProxyResources.ROUTE).get("80");
    var r8 = (io.envoyproxy.envoy.config.route.v3.RouteConfiguration) ns8.of(ProxyResources.ROUTE).get("80");
    assertThat(r3.getVirtualHostsList()).anySatisfy(v -> assertThat(v.getDomainsList()).contains("svc-60"));
    assertThat(r8.getVirtualHostsList()).noneSatisfy(v -> assertThat(v.getDomainsList()).contains("svc-60"));
  }

  @Test
  void aChangedServiceStartsAFreshTranslation() {
    MeshSnapshot s1 = TranslationBenchmark.mesh(1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(), s -> InboundPolicySource.NONE);
    ProxyIdentity p = sidecar(pod(s1, "ns-8", "svc-160-0"));
    ProxyResources before = t.generate(s1, p);
    var svc = s1.services().get(ObjectKey.of("ns-9", "svc-180"));
    MeshSnapshot s2 = s1.toBuilder(2)
        .service(new dev.gatehouse.model.ServiceInfo(svc.meta(), svc.fqdn(), svc.ports().subList(0, 1), svc.selector(),
            svc.clusterIp()))
        .build();
    ProxyResources after = t.generate(s2, p);
    assertThat(after).isNotSameAs(before);
    assertThat(before.of(ProxyResources.CLUSTER)).containsKey("outbound|9090||svc-180.ns-9.svc.cluster.local");
    assertThat(after.of(ProxyResources.CLUSTER)).doesNotContainKey("outbound|9090||svc-180.ns-9.svc.cluster.local");
  }

  @Test
  void overlayMapsIterateSortedWithProxyEntriesMerged() {
    MeshSnapshot s = TranslationBenchmark.mesh(1, 0);
    ProxyResources r = new SnapshotTranslator(TranslationOptions.defaults(), x -> InboundPolicySource.NONE)
        .generate(s, sidecar(pod(s, "ns-1", "svc-20-0")));
    var names = new java.util.ArrayList<>(r.of(ProxyResources.CLUSTER).keySet());
    assertThat(names).isSorted().contains("inbound|8080||", "InboundPassthroughCluster", "PassthroughCluster");
    assertThat(names).hasSize(r.of(ProxyResources.CLUSTER).size()).doesNotHaveDuplicates();
    assertThat(r.of(ProxyResources.CLUSTER).get("inbound|9090||")).isNotNull();
  }
}
