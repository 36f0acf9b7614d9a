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
