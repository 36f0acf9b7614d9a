package dev.gatehouse.controlplane.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeshConfigStreamTest {
  private static final MeshObjectId DENY_ID = MeshObjectId.of("AuthorizationPolicy", "shop", "deny-legacy");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ConfigInputErrors errors = new ConfigInputErrors(registry);
  private final MeshConfigStream stream =
      new MeshConfigStream(MeshConfig.defaults(), Duration.ofMillis(50), Duration.ofSeconds(10), errors, registry);

  @AfterEach
  void close() {
    stream.close();
  }

  @Test
  void invalidUpdateOfAValidPolicyKeepsTheValidVersionAndIsReported() {
    Policy<AuthorizationPolicy> deny = denyPolicy();
    assertThat(stream.upsert("file", DENY_ID, deny)).isEqualTo(MeshConfigStream.Outcome.ADDED);
    long version = stream.version();

    MeshConfigStream.Outcome outcome = stream.upsert("file", DENY_ID, invalid("rules[0]: unknown field 'principal'"));

    assertThat(outcome).isEqualTo(MeshConfigStream.Outcome.KEPT_PREVIOUS);
    assertThat(stream.version()).isEqualTo(version);
    assertThat(stream.current().authorizationPolicies()).containsExactly(deny);
    assertThat(stream.current().invalidPolicies()).isEmpty();
    assertThat(errors.count("file", ConfigInputErrors.Reason.INVALID_SPEC)).isEqualTo(1.0);
  }

  @Test
  void newInvalidPolicyEntersTheSnapshotSoTranslationFailsClosed() {
    InvalidPolicy broken = invalid("action: unknown value MAYBE");

    assertThat(stream.upsert("kubernetes", DENY_ID, broken)).isEqualTo(MeshConfigStream.Outcome.ADDED_INVALID);

    MeshSnapshot snapshot = stream.current();
    assertThat(snapshot.invalidPolicies()).containsExactly(broken);
    assertThat(snapshot.invalidPoliciesIn("shop")).containsExactly(broken);
    assertThat(errors.count("kubernetes", ConfigInputErrors.Reason.INVALID_SPEC)).isEqualTo(1.0);
  }

  @Test
  void validVersionReplacesAnInvalidOne() {
    stream.upsert("file", DENY_ID, invalid("broken"));
    Policy<AuthorizationPolicy> fixed = denyPolicy();

    assertThat(stream.upsert("file", DENY_ID, fixed)).isEqualTo(MeshConfigStream.Outcome.UPDATED);

    assertThat(stream.current().invalidPolicies()).isEmpty();
    assertThat(stream.current().authorizationPolicies()).containsExactly(fixed);
  }

  @Test
  void everyChangeCountsTheVersionUpAndAnUnchangedObjectDoesNot() {
    MeshObjectId id = MeshObjectId.of("Namespace", "", "shop");
    NamespaceInfo shop = new NamespaceInfo(ResourceMeta.of("Namespace", "", "shop"));

    stream.upsert("file", id, shop);
    long afterAdd = stream.version();
    assertThat(stream.upsert("file", id, new NamespaceInfo(ResourceMeta.of("Namespace", "", "shop"))))
        .isEqualTo(MeshConfigStream.Outcome.UNCHANGED);
    assertThat(stream.version()).isEqualTo(afterAdd);

    assertThat(stream.delete(id)).isEqualTo(MeshConfigStream.Outcome.DELETED);
    assertThat(stream.version()).isEqualTo(afterAdd + 1);
    assertThat(stream.current().namespaces()).isEmpty();
    assertThat(stream.current().version()).isEqualTo(afterAdd + 1);
    assertThat(stream.delete(id)).isEqualTo(MeshConfigStream.Outcome.ABSENT);
  }

  @Test
  void metricsCountObjectsByKindAndTheSnapshotVersion() {
    stream.upsert("file", MeshObjectId.of("Namespace", "", "a"), new NamespaceInfo(ResourceMeta.of("Namespace", "", "a")));
    stream.upsert("file", MeshObjectId.of("Namespace", "", "b"), new NamespaceInfo(ResourceMeta.of("Namespace", "", "b")));
    stream.upsert("file", DENY_ID, invalid("broken"));

    assertThat(registry.get("gatehouse.config.objects").tag("kind", "Namespace").gauge().value()).isEqualTo(2.0);
    assertThat(registry.get("gatehouse.config.objects").tag("kind", "AuthorizationPolicy").gauge().value())
        .isEqualTo(1.0);
    assertThat(registry.get("gatehouse.config.invalid.policies").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("gatehouse.config.snapshot.version").gauge().value()).isEqualTo(3.0);
  }

  @Test
  void nothingIsPublishedBeforeTheInitialSync() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    stream.subscribe(s -> seen.add(s.version()));
    stream.upsert("file", DENY_ID, denyPolicy());

    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(seen::isEmpty);

    stream.initialSyncDone();
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L)));
  }

  @Test
  void subscribersGetOnlyTheLatestSnapshotOfABurst() {
    SimpleMeterRegistry burstRegistry = new SimpleMeterRegistry();
    // A quiet period far longer than the burst takes, even on a loaded machine.
    try (MeshConfigStream burst = new MeshConfigStream(MeshConfig.defaults(), Duration.ofMillis(500),
        Duration.ofSeconds(10), new ConfigInputErrors(burstRegistry), burstRegistry)) {
      List<Long> seen = new CopyOnWriteArrayList<>();
      burst.initialSyncDone();
      burst.subscribe(s -> seen.add(s.version()));
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(0L)));

      for (int i = 0; i < 200; i++) {
        burst.upsert("file", MeshObjectId.of("Namespace", "", "ns-" + i),
            new NamespaceInfo(ResourceMeta.of("Namespace", "", "ns-" + i)));
      }

      await().atMost(Duration.ofSeconds(5)).until(() -> seen.get(seen.size() - 1) == 200L);
      assertThat(seen).containsExactly(0L, 200L);
      assertThat(burstRegistry.get("pilot_debounce_time").timer().count()).isEqualTo(1L);
    }
  }

  @Test
  void lateSubscriberGetsTheCurrentSnapshotAtOnce() {
    stream.upsert("file", DENY_ID, denyPolicy());
    stream.initialSyncDone();
    List<MeshSnapshot> seen = new CopyOnWriteArrayList<>();

    stream.subscribe(seen::add);

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
    assertThat(seen.get(0).authorizationPolicies()).hasSize(1);
  }

  /**
   * Each snapshot is derived from the previous one (only the changed objects replaced); after any sequence of
   * upserts and deletes (valid and invalid policies trading places under one id included) it holds exactly what a
   * snapshot built afresh from the same objects holds, and the kinds nothing changed in are shared, not copied.
   */
  @Test
  void derivedSnapshotsEqualOnesBuiltAfreshAndShareUnchangedKinds() {
    java.util.Random random = new java.util.Random(7);
    java.util.Map<MeshObjectId, Object> expected = new java.util.HashMap<>();
    for (int step = 0; step < 400; step++) {
      int n = random.nextInt(6);
      String ns = "ns-" + random.nextInt(3);
      String name = "o-" + random.nextInt(4);
      int variant = random.nextInt(3);
      Object value;
      MeshObjectId id;
      switch (random.nextInt(6)) {
        case 0 -> {
          id = MeshObjectId.of("Pod", ns, name);
          value = new dev.gatehouse.model.Workload(new ResourceMeta("v1", "Pod", ns, name, null, "1",
              java.util.Map.of("app", "a" + variant), java.util.Map.of(), "test"), "sa", "127.0.3." + (n + 1),
              List.of(), true, false);
        }
        case 1 -> {
          id = MeshObjectId.of("Service", ns, name);
          value = new dev.gatehouse.model.ServiceInfo(ResourceMeta.of("Service", ns, name),
              name + "." + ns + ".svc.cluster.local",
              List.of(new dev.gatehouse.model.ServicePort("http", 80 + variant, "TCP", "", 8080, "")),
              java.util.Map.of("app", "a" + variant), "");
        }
        case 2 -> {
          id = MeshObjectId.of("EndpointSlice", ns, name);
          value = new dev.gatehouse.model.EndpointSliceInfo(ResourceMeta.of("EndpointSlice", ns, name), "o-" + variant,
              List.of(), List.of(new dev.gatehouse.model.EndpointSliceInfo.Endpoint(
                  List.of("127.0.4." + (n + 1)), true, "", "", "", 1)));
        }
        case 3 -> {
          id = MeshObjectId.of("Namespace", "", ns);
          value = new NamespaceInfo(new ResourceMeta("v1", "Namespace", "", ns, null, "" + variant,
              java.util.Map.of("v", "" + variant), java.util.Map.of(), "test"));
        }
        default -> {
          id = MeshObjectId.of("AuthorizationPolicy", ns, name);
          value = variant == 0
              ? new InvalidPolicy(PolicyKind.AUTHORIZATION_POLICY, ResourceMeta.of("AuthorizationPolicy", ns, name),
                  Optional.empty(), "DENY", "bad " + n)
              : new Policy<>(PolicyKind.AUTHORIZATION_POLICY, ResourceMeta.of("AuthorizationPolicy", ns, name),
                  AuthorizationPolicy.newBuilder().setAction(variant == 1
                      ? AuthorizationPolicy.Action.DENY : AuthorizationPolicy.Action.ALLOW).build());
        }
      }
      if (random.nextInt(4) == 0) {
        stream.delete(id);
        expected.remove(id);
      } else {
        MeshConfigStream.Outcome o = stream.upsert("test", id, value);
        if (o != MeshConfigStream.Outcome.KEPT_PREVIOUS) {
          expected.put(id, value);
        }
      }
      if (random.nextInt(3) == 0) {
        MeshSnapshot before = stream.current();
        MeshSnapshot.Builder fresh = MeshSnapshot.builder(stream.version(), MeshConfig.defaults());
        expected.values().forEach(fresh::add);
        MeshSnapshot want = fresh.build();
        MeshSnapshot got = stream.current();
        assertThat(got).isSameAs(before);
        assertThat(got.namespaces()).isEqualTo(want.namespaces());
        assertThat(got.workloads()).isEqualTo(want.workloads());
        assertThat(got.services()).isEqualTo(want.services());
        assertThat(got.endpointSlices()).isEqualTo(want.endpointSlices());
        assertThat(got.authorizationPolicies()).isEqualTo(want.authorizationPolicies());
        assertThat(got.invalidPolicies()).isEqualTo(want.invalidPolicies());
        for (int k = 0; k < 3; k++) {
          String namespace = "ns-" + k;
          assertThat(got.workloadsInNamespace(namespace)).isEqualTo(want.workloadsInNamespace(namespace));
          assertThat(got.servicesInNamespace(namespace)).isEqualTo(want.servicesInNamespace(namespace));
          assertThat(got.authorizationPoliciesIn(namespace)).isEqualTo(want.authorizationPoliciesIn(namespace));
          assertThat(got.invalidPoliciesIn(namespace)).isEqualTo(want.invalidPoliciesIn(namespace));
          assertThat(got.workloadsMatching(namespace, java.util.Map.of("app", "a1")))
              .isEqualTo(want.workloadsMatching(namespace, java.util.Map.of("app", "a1")));
          for (int o = 0; o < 4; o++) {
            dev.gatehouse.model.ObjectKey key = dev.gatehouse.model.ObjectKey.of(namespace, "o-" + o);
            assertThat(got.servicesForWorkload(key)).isEqualTo(want.servicesForWorkload(key));
            assertThat(got.endpointSlicesForService(key)).isEqualTo(want.endpointSlicesForService(key));
          }
        }
      }
    }
    // Only an EndpointSlice changes: every other kind's map and index is the previous snapshot's instance.
    MeshSnapshot before = stream.current();
    stream.upsert("test", MeshObjectId.of("EndpointSlice", "ns-0", "late"), new dev.gatehouse.model.EndpointSliceInfo(
        ResourceMeta.of("EndpointSlice", "ns-0", "late"), "o-1", List.of(), List.of()));
    MeshSnapshot after = stream.current();
    assertThat(after.endpointSlices()).isNotSameAs(before.endpointSlices()).containsKey(
        dev.gatehouse.model.ObjectKey.of("ns-0", "late"));
    assertThat(after.workloads()).isSameAs(before.workloads());
    assertThat(after.services()).isSameAs(before.services());
    assertThat(after.authorizationPolicies()).isSameAs(before.authorizationPolicies());
    assertThat(after.endpointSlicesChangedSince(before)).contains(
        java.util.Set.of(dev.gatehouse.model.ObjectKey.of("ns-0", "late")));
  }

  private static Policy<AuthorizationPolicy> denyPolicy() {
    return new Policy<>(
        PolicyKind.AUTHORIZATION_POLICY,
        ResourceMeta.of("AuthorizationPolicy", "shop", "deny-legacy"),
        AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY).build());
  }

  private static InvalidPolicy invalid(String reason) {
    return new InvalidPolicy(
        PolicyKind.AUTHORIZATION_POLICY,
        ResourceMeta.of("AuthorizationPolicy", "shop", "deny-legacy"),
        Optional.empty(),
        "DENY",
        reason);
  }
}
