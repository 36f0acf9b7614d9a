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
  void labelSetsUnderTheSamePoliciesShareOneListenerAndOneResourceSet() {
    MeshSnapshot s = TranslationBenchmark.mesh(1, 0);
    ProxyIdentity svc60 = sidecar(pod(s, "ns-3", "svc-60-0"));
    ProxyIdentity svc61 = sidecar(pod(s, "ns-3", "svc-61-0"));
    // No policy selects either label set: same ports, same mode, same (empty) filters, so one inbound listener.
    SnapshotTranslator none = new SnapshotTranslator(TranslationOptions.defaults(), x -> InboundPolicySource.NONE);
    ProxyResources a = none.generate(s, svc60);
    assertThat(none.generate(s, svc61)).isSameAs(a);
    assertThat(none.generate(s, sidecar(pod(s, "ns-5", "svc-100-0")))).isNotSameAs(a); // other routes
    // What they share is exactly what each label set gets when translated alone.
    assertSameBytes(a, new SnapshotTranslator(TranslationOptions.defaults(), x -> InboundPolicySource.NONE)
        .generate(s, svc61));

    // Each service's own AuthorizationPolicies select its pods: the listeners differ, the inbound clusters are shared.
    SnapshotTranslator real = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyResources p60 = real.generate(s, svc60);
    ProxyResources p61 = real.generate(s, svc61);
    assertThat(p61).isNotSameAs(p60);
    assertThat(p61.of(ProxyResources.LISTENER).get("virtualInbound"))
        .isNotEqualTo(p60.of(ProxyResources.LISTENER).get("virtualInbound"));
    assertThat(p61.of(ProxyResources.CLUSTER).get("inbound|8080||"))
        .isSameAs(p60.of(ProxyResources.CLUSTER).get("inbound|8080||"));
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

  /** svc-61 in ns-3 gains an endpoint (its EndpointSlice changes); nothing else does. */
  private static MeshSnapshot withExtraEndpoint(MeshSnapshot s1) {
    var slice = s1.endpointSlices().get(ObjectKey.of("ns-3", "svc-61-abc"));
    var eps = new java.util.ArrayList<>(slice.endpoints());
    eps.add(new dev.gatehouse.model.EndpointSliceInfo.Endpoint(java.util.List.of("127.11.0.1"), true, "", "", "", 1));
    return s1.toBuilder(s1.version() + 1)
        .endpointSlice(new dev.gatehouse.model.EndpointSliceInfo(slice.meta(), slice.serviceName(), slice.ports(), eps))
        .build();
  }

  private static final String SVC61_HTTP = "outbound|80||svc-61.ns-3.svc.cluster.local";
  private static final String SVC61 = "||svc-61.ns-3.svc.cluster.local";

  /** Byte-for-byte: every resource of {@code a} serializes (deterministically) to the bytes of the one in {@code b}. */
  private static void assertSameBytes(ProxyResources a, ProxyResources b) {
    assertThat(a.resourcesByType().keySet()).isEqualTo(b.resourcesByType().keySet());
    a.resourcesByType().forEach((type, byName) -> {
      assertThat(byName.keySet()).as(type).containsExactlyElementsOf(b.of(type).keySet());
      byName.forEach((name, m) -> assertThat(
          dev.gatehouse.xds.server.ResourceSerializerAccess.bytes(m))
          .as(type + " " + name).isEqualTo(dev.gatehouse.xds.server.ResourceSerializerAccess.bytes(b.of(type).get(name))));
    });
  }

  @Test
  void endpointChangeRebuildsOnlyThatServicesLoadAssignmentsAndItsViewers() {
    MeshSnapshot s1 = TranslationBenchmark.mesh(
        dev.gatehouse.model.MeshConfig.defaults().withDefaultServiceExportTo(java.util.List.of(".")), 1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyIdentity viewer = sidecar(pod(s1, "ns-3", "svc-60-0"));
    ProxyIdentity other = sidecar(pod(s1, "ns-8", "svc-160-0"));
    ProxyResources viewerBefore = t.generate(s1, viewer);
    ProxyResources otherBefore = t.generate(s1, other);
    var serializer = new dev.gatehouse.xds.server.ResourceSerializer();
    var configBefore = serializer.config(viewerBefore);

    MeshSnapshot s2 = withExtraEndpoint(s1);
    MeshTranslation m2 = t.translationFor(s2);
    ProxyResources viewerAfter = t.generate(s2, viewer);
    // A proxy of another namespace keeps its instance: nothing to push.
    assertThat(t.generate(s2, other)).isSameAs(otherBefore);
    assertThat(serializer.config(otherBefore)).isSameAs(serializer.config(otherBefore));
    // The viewer: only the ClusterLoadAssignment map is new; every other resource keeps its instance.
    assertThat(viewerAfter).isNotSameAs(viewerBefore);
    for (String type : java.util.List.of(ProxyResources.LISTENER, ProxyResources.ROUTE, ProxyResources.CLUSTER)) {
      assertThat(viewerAfter.of(type)).as(type).isSameAs(viewerBefore.of(type));
    }
    var before = viewerBefore.of(ProxyResources.ENDPOINT);
    var after = viewerAfter.of(ProxyResources.ENDPOINT);
    assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
    before.forEach((name, cla) -> {
      if (name.endsWith(SVC61)) {
        assertThat(after.get(name)).isNotEqualTo(cla);
      } else {
        assertThat(after.get(name)).as(name).isSameAs(cla);
      }
    });
    assertThat(after.get(SVC61_HTTP).toString()).contains("127.11.0.1");
    // Versions: only the changed resource's (and so the EDS type's) version changes.
    var configAfter = serializer.config(viewerAfter);
    for (String type : java.util.List.of(ProxyResources.LISTENER, ProxyResources.ROUTE, ProxyResources.CLUSTER)) {
      assertThat(configAfter.type(type).version()).as(type).isEqualTo(configBefore.type(type).version());
    }
    assertThat(configAfter.type(ProxyResources.ENDPOINT).version())
        .isNotEqualTo(configBefore.type(ProxyResources.ENDPOINT).version());
    configBefore.type(ProxyResources.ENDPOINT).resources().forEach((name, r) -> {
      String v = configAfter.type(ProxyResources.ENDPOINT).resources().get(name).version();
      if (name.endsWith(SVC61)) {
        assertThat(v).isNotEqualTo(r.version());
      } else {
        assertThat(v).as(name).isEqualTo(r.version());
      }
    });
    // Byte for byte what a fresh translation of the new snapshot gives, for both proxies.
    SnapshotTranslator fresh = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    assertSameBytes(viewerAfter, fresh.generate(s2, viewer));
    assertSameBytes(t.generate(s2, other), fresh.generate(s2, other));
    assertThat(m2.snapshot()).isSameAs(s2);
  }

  @Test
  void endpointChangeInAnUnscopedMeshKeepsEveryOtherResourceAndMatchesAFreshTranslation() {
    MeshSnapshot s1 = TranslationBenchmark.mesh(1, 0);
    SnapshotTranslator t = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyIdentity a = sidecar(pod(s1, "ns-3", "svc-60-0"));
    ProxyIdentity b = sidecar(pod(s1, "ns-8", "svc-160-0"));
    ProxyIdentity grpc = new ProxyIdentity(ProxyKind.PROXYLESS_GRPC, pod(s1, "ns-5", "svc-100-0").key(),
        pod(s1, "ns-5", "svc-100-0").ip(), "ns-5", pod(s1, "ns-5", "svc-100-0").serviceAccount(),
        pod(s1, "ns-5", "svc-100-0").labels());
    java.util.List<ProxyResources> before = java.util.List.of(t.generate(s1, a), t.generate(s1, b), t.generate(s1, grpc));
    MeshSnapshot s2 = withExtraEndpoint(s1);
    java.util.List<ProxyResources> after = java.util.List.of(t.generate(s2, a), t.generate(s2, b), t.generate(s2, grpc));
    SnapshotTranslator fresh = new SnapshotTranslator(TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    java.util.List<ProxyIdentity> ids = java.util.List.of(a, b, grpc);
    for (int i = 0; i < 3; i++) {
      ProxyResources x = before.get(i);
      ProxyResources y = after.get(i);
      for (String type : java.util.List.of(ProxyResources.LISTENER, ProxyResources.ROUTE, ProxyResources.CLUSTER)) {
        y.of(type).forEach((name, m) -> assertThat(m).as(name).isSameAs(x.of(type).get(name)));
      }
      x.of(ProxyResources.ENDPOINT).forEach((name, cla) -> {
        if (!name.endsWith("svc-61.ns-3.svc.cluster.local")) {
          assertThat(y.of(ProxyResources.ENDPOINT).get(name)).as(name).isSameAs(cla);
        }
      });
      assertThat(y.of(ProxyResources.ENDPOINT).values()).anySatisfy(
          cla -> assertThat(cla.toString()).contains("127.11.0.1"));
      assertSameBytes(y, fresh.generate(s2, ids.get(i)));
    }
    // Both sidecars share one endpoint map still.
    assertThat(after.get(0).of(ProxyResources.ENDPOINT)).isSameAs(after.get(1).of(ProxyResources.ENDPOINT));
  }

  /**
   * The memos of namespaces an endpoint change does not concern are shared between the two translations; a stale
   * translation that fills them (or its own copies) late must not hand the newer one old endpoints.
   */
  @Test
  void aStaleTranslationFillingItsMemosLateLeavesTheNewerOneCorrect() {
    for (var mesh : java.util.List.of(dev.gatehouse.model.MeshConfig.defaults(),
        dev.gatehouse.model.MeshConfig.defaults().withDefaultServiceExportTo(java.util.List.of(".")))) {
      MeshSnapshot s1 = TranslationBenchmark.mesh(mesh, 1, 0);
      MeshSnapshot s2 = withExtraEndpoint(s1);
      Workload g = pod(s1, "ns-3", "svc-61-0");
      ProxyIdentity grpcInNs3 = new ProxyIdentity(ProxyKind.PROXYLESS_GRPC, g.key(), g.ip(), "ns-3",
          g.serviceAccount(), g.labels());
      ProxyIdentity viewer = sidecar(pod(s1, "ns-3", "svc-60-0"));
      ProxyIdentity elsewhere = sidecar(pod(s1, "ns-8", "svc-160-0"));
      MeshTranslation t1 = MeshTranslation.of(s1, TranslationOptions.defaults(),
          AuthorizationFilters.forMesh(TranslationOptions.defaults()));
      t1.translate(grpcInNs3); // ns-3 has memos (a proxyless view) before the change; its sidecar view does not
      MeshTranslation t2 = t1.next(s2);
      // The stale translation builds ns-3's sidecar view and ns-8's proxy after t2 was derived.
      assertThat(t1.translate(viewer).of(ProxyResources.ENDPOINT).get(SVC61_HTTP).toString())
          .doesNotContain("127.11.0.1");
      t1.translate(elsewhere);
      MeshTranslation fresh = MeshTranslation.of(s2, TranslationOptions.defaults(),
          AuthorizationFilters.forMesh(TranslationOptions.defaults()));
      for (ProxyIdentity p : java.util.List.of(viewer, elsewhere, grpcInNs3)) {
        assertSameBytes(t2.translate(p), fresh.translate(p));
      }
      assertThat(t2.translate(viewer).of(ProxyResources.ENDPOINT).get(SVC61_HTTP).toString()).contains("127.11.0.1");
    }
  }

  /** Derived twice in a row (the push loop's pattern): scopes name only what each step changed. */
  @Test
  void consecutiveEndpointChangesScopeOnlyTheirViewersAndMatchAFreshTranslation() {
    MeshSnapshot s1 = TranslationBenchmark.mesh(
        dev.gatehouse.model.MeshConfig.defaults().withDefaultServiceExportTo(java.util.List.of(".")), 1, 0);
    MeshTranslation t1 = MeshTranslation.of(s1, TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    ProxyIdentity ns3 = sidecar(pod(s1, "ns-3", "svc-60-0"));
    ProxyIdentity ns8 = sidecar(pod(s1, "ns-8", "svc-160-0"));
    t1.translate(ns3);
    ProxyResources ns8Before = t1.translate(ns8);
    MeshSnapshot s2 = withExtraEndpoint(s1);
    MeshTranslation t2 = t1.next(s2);
    assertThat(t2.changedSince(t1.id()).namespaceSet()).containsExactly("ns-3");
    var slice = s2.endpointSlices().get(ObjectKey.of("ns-8", "svc-160-abc"));
    var eps = new java.util.ArrayList<>(slice.endpoints());
    eps.add(new dev.gatehouse.model.EndpointSliceInfo.Endpoint(java.util.List.of("127.11.0.2"), true, "", "", "", 1));
    MeshSnapshot s3 = s2.toBuilder(s2.version() + 1)
        .endpointSlice(new dev.gatehouse.model.EndpointSliceInfo(slice.meta(), slice.serviceName(), slice.ports(), eps))
        .build();
    ProxyResources ns3After2 = t2.translate(ns3);
    MeshTranslation t3 = t2.next(s3);
    assertThat(t3.changedSince(t2.id()).namespaceSet()).containsExactly("ns-8");
    assertThat(t3.changedSince(t1.id()).isAll()).isTrue();
    assertThat(t3.translate(ns3)).isSameAs(ns3After2);
    assertThat(t3.translate(ns8)).isNotSameAs(ns8Before);
    MeshTranslation fresh = MeshTranslation.of(s3, TranslationOptions.defaults(),
        AuthorizationFilters.forMesh(TranslationOptions.defaults()));
    assertSameBytes(t3.translate(ns3), fresh.translate(ns3));
    assertSameBytes(t3.translate(ns8), fresh.translate(ns8));
  }
}
