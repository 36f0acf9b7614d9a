package dev.gatehouse.controlplane.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KubernetesConfigSourceTest {
  private static final Duration AWAIT = Duration.ofSeconds(10);

  private final KubernetesTestApiServer api = new KubernetesTestApiServer();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ConfigInputErrors errors = new ConfigInputErrors(registry);
  private final MeshConfigStream stream =
      new MeshConfigStream(MeshConfig.defaults(), Duration.ofMillis(20), Duration.ofSeconds(10), errors, registry);
  private KubernetesConfigSource source;

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    stream.close();
    api.close();
  }

  @Test
  void coreKindsCreateUpdateAndDeleteReachTheSnapshot() {
    api.installIstioCrds();
    start("v1", "v1");
    awaitSnapshot(s -> stream.synced());

    api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop")
        .addToLabels("team", "storefront").endMetadata().build()).create();
    api.client.serviceAccounts().inNamespace("shop").resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("frontend").withNamespace("shop").endMetadata().build()).create();
    api.client.pods().inNamespace("shop").resource(pod("127.0.0.11")).create();
    api.client.services().inNamespace("shop").resource(new ServiceBuilder().withNewMetadata().withName("frontend")
        .withNamespace("shop").endMetadata().withNewSpec().addToSelector("app", "frontend").addNewPort()
        .withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec().build()).create();
    api.client.discovery().v1().endpointSlices().inNamespace("shop").resource(new EndpointSliceBuilder()
        .withNewMetadata().withName("frontend-abc12").withNamespace("shop")
        .addToLabels("kubernetes.io/service-name", "frontend").endMetadata().withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).endPort()
        .addNewEndpoint().withAddresses("127.0.0.11").withNewConditions().withReady(true).endConditions()
        .withNewTargetRef().withKind("Pod").withName("frontend-0").withNamespace("shop").endTargetRef().endEndpoint()
        .build()).create();

    MeshSnapshot created =
        awaitSnapshot(s -> s.namespaces().containsKey("shop")
            && s.serviceAccounts().containsKey(ObjectKey.of("shop", "frontend"))
            && s.workloadByIp("127.0.0.11").isPresent()
            && s.serviceByFqdn("frontend.shop.svc.cluster.local").isPresent()
            && !s.endpointSlicesForService(ObjectKey.of("shop", "frontend")).isEmpty());
    assertThat(created.namespaces().get("shop").labels()).containsEntry("team", "storefront");
    assertThat(created.workloadByIp("127.0.0.11").orElseThrow().hasSidecar()).isTrue();
    assertThat(created.servicesForWorkload(ObjectKey.of("shop", "frontend-0"))).hasSize(1);
    assertThat(created.endpointSlicesForService(ObjectKey.of("shop", "frontend")).get(0).endpoints().get(0).addresses())
        .containsExactly("127.0.0.11");

    api.client.pods().inNamespace("shop").withName("frontend-0")
        .edit(p -> new PodBuilder(p).editMetadata().addToLabels("version", "v2").endMetadata().build());
    awaitSnapshot(s -> s.workload(ObjectKey.of("shop", "frontend-0"))
        .map(w -> "v2".equals(w.labels().get("version"))).orElse(false));
    api.client.namespaces().withName("shop")
        .edit(n -> new NamespaceBuilder(n).editMetadata().addToLabels("team", "checkout").endMetadata().build());
    api.client.serviceAccounts().inNamespace("shop").withName("frontend")
        .edit(sa -> new ServiceAccountBuilder(sa).editMetadata().addToLabels("rotated", "yes").endMetadata().build());
    api.client.services().inNamespace("shop").withName("frontend")
        .edit(svc -> new ServiceBuilder(svc).editSpec().editFirstPort().withPort(8081).endPort().endSpec().build());
    api.client.discovery().v1().endpointSlices().inNamespace("shop").withName("frontend-abc12")
        .edit(es -> new EndpointSliceBuilder(es).editFirstEndpoint().withAddresses("127.0.0.12").endEndpoint().build());
    awaitSnapshot(s -> "checkout".equals(s.namespaces().get("shop").labels().get("team"))
        && "yes".equals(s.serviceAccounts().get(ObjectKey.of("shop", "frontend")).meta().labels().get("rotated"))
        && s.services().get(ObjectKey.of("shop", "frontend")).ports().get(0).port() == 8081
        && s.endpointSlicesForService(ObjectKey.of("shop", "frontend")).get(0).endpoints().get(0).addresses()
            .equals(List.of("127.0.0.12")));

    api.client.discovery().v1().endpointSlices().inNamespace("shop").withName("frontend-abc12").delete();
    api.client.services().inNamespace("shop").withName("frontend").delete();
    api.client.pods().inNamespace("shop").withName("frontend-0").delete();
    api.client.serviceAccounts().inNamespace("shop").withName("frontend").delete();
    api.client.namespaces().withName("shop").delete();
    MeshSnapshot deleted =
        awaitSnapshot(s -> s.namespaces().isEmpty() && s.workloads().isEmpty() && s.services().isEmpty()
            && s.endpointSlices().isEmpty() && s.serviceAccounts().isEmpty());
    assertThat(deleted.version()).isGreaterThan(created.version());
  }

  @ParameterizedTest(name = "Istio resources in {0}")
  @ValueSource(strings = {"v1", "v1beta1"})
  void istioKindsCreateUpdateAndDeleteReachTheSnapshot(String version) {
    api.installIstioCrds();
    start(version, version);
    awaitSnapshot(s -> stream.synced());

    api.istio(PolicyKind.PEER_AUTHENTICATION, version).inNamespace("istio-system")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.PEER_AUTHENTICATION, version, "istio-system",
            "default", Map.of("mtls", Map.of("mode", "STRICT")))).create();
    api.istio(PolicyKind.AUTHORIZATION_POLICY, version).inNamespace("shop")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.AUTHORIZATION_POLICY, version, "shop",
            "deny-legacy", Map.of("action", "DENY",
                "rules", List.of(Map.of("from", List.of(Map.of("source", Map.of("namespaces", List.of("legacy"))))))))).create();
    api.istio(PolicyKind.REQUEST_AUTHENTICATION, version).inNamespace("shop")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.REQUEST_AUTHENTICATION, version, "shop",
            "frontend-jwt", Map.of("selector", Map.of("matchLabels", Map.of("app", "frontend")),
                "jwtRules", List.of(Map.of("issuer", "https://auth.shop.example",
                    "jwksUri", "https://auth.shop.example/.well-known/jwks.json"))))).create();
    api.istio(PolicyKind.DESTINATION_RULE, version).inNamespace("payments")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.DESTINATION_RULE, version, "payments",
            "ledger-mtls", Map.of("host", "ledger.payments.svc.cluster.local",
                "trafficPolicy", Map.of("tls", Map.of("mode", "ISTIO_MUTUAL"))))).create();

    MeshSnapshot created =
        awaitSnapshot(s -> s.peerAuthentications().size() == 1 && s.authorizationPolicies().size() == 1
            && s.requestAuthentications().size() == 1 && s.destinationRules().size() == 1);
    assertThat(created.peerAuthenticationsIn("istio-system").get(0).spec().getMtls().getMode())
        .isEqualTo(PeerAuthentication.MutualTLS.Mode.STRICT);
    assertThat(created.authorizationPoliciesIn("shop").get(0).spec().getAction())
        .isEqualTo(AuthorizationPolicy.Action.DENY);
    assertThat(created.requestAuthenticationsIn("shop").get(0).spec().getJwtRules(0).getIssuer())
        .isEqualTo("https://auth.shop.example");
    assertThat(created.destinationRulesIn("payments").get(0).spec().getHost())
        .isEqualTo("ledger.payments.svc.cluster.local");
    assertThat(created.invalidPolicies()).isEmpty();

    api.istio(PolicyKind.PEER_AUTHENTICATION, version).inNamespace("istio-system").withName("default")
        .edit(r -> {
          r.setAdditionalProperty("spec", Map.of("mtls", Map.of("mode", "PERMISSIVE")));
          return r;
        });
    api.istio(PolicyKind.AUTHORIZATION_POLICY, version).inNamespace("shop").withName("deny-legacy")
        .edit(r -> {
          r.setAdditionalProperty("spec", Map.of("action", "ALLOW",
              "rules", List.of(Map.of("from", List.of(Map.of("source", Map.of("namespaces", List.of("shop"))))))));
          return r;
        });
    api.istio(PolicyKind.REQUEST_AUTHENTICATION, version).inNamespace("shop").withName("frontend-jwt")
        .edit(r -> {
          r.setAdditionalProperty("spec", Map.of("jwtRules", List.of(Map.of("issuer", "https://login.shop.example",
              "jwksUri", "https://login.shop.example/keys"))));
          return r;
        });
    api.istio(PolicyKind.DESTINATION_RULE, version).inNamespace("payments").withName("ledger-mtls")
        .edit(r -> {
          r.setAdditionalProperty("spec", Map.of("host", "ledger.payments.svc.cluster.local",
              "trafficPolicy", Map.of("tls", Map.of("mode", "DISABLE"))));
          return r;
        });
    awaitSnapshot(s -> s.peerAuthentications().size() == 1
        && s.peerAuthentications().get(0).spec().getMtls().getMode() == PeerAuthentication.MutualTLS.Mode.PERMISSIVE
        && s.authorizationPolicies().get(0).spec().getAction() == AuthorizationPolicy.Action.ALLOW
        && s.requestAuthentications().get(0).spec().getJwtRules(0).getIssuer().equals("https://login.shop.example")
        && s.destinationRules().get(0).spec().getTrafficPolicy().getTls().getMode().name().equals("DISABLE"));

    for (PolicyKind kind : PolicyKind.values()) {
      for (GenericKubernetesResource r : api.istio(kind, version).inAnyNamespace().list().getItems()) {
        api.istio(kind, version).inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
      }
    }
    awaitSnapshot(s -> s.peerAuthentications().isEmpty() && s.authorizationPolicies().isEmpty()
        && s.requestAuthentications().isEmpty() && s.destinationRules().isEmpty());
  }

  @Test
  void readyOnlyAfterTheInitialSyncWithEverythingAlreadyThere() throws Exception {
    api.installIstioCrds();
    api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata()
        .build()).create();
    api.client.pods().inNamespace("shop").resource(pod("127.0.0.11")).create();
    api.istio(PolicyKind.AUTHORIZATION_POLICY, "v1").inNamespace("payments")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.AUTHORIZATION_POLICY, "v1", "payments",
            "allow-nothing", Map.of())).create();
    List<MeshSnapshot> pushed = new CopyOnWriteArrayList<>();
    stream.subscribe(pushed::add);
    assertThat(stream.synced()).isFalse();

    start("v1", "v1");
    MeshSnapshot first = stream.initialSync().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(first.namespaces()).containsOnlyKeys("payments");
    assertThat(first.workloads()).containsOnlyKeys(ObjectKey.of("shop", "frontend-0"));
    assertThat(first.authorizationPoliciesIn("payments")).hasSize(1);
    await().atMost(AWAIT).until(() -> !pushed.isEmpty());
    assertThat(pushed.get(0).counts()).isEqualTo(first.counts());
    assertThat(source.health().connected()).isTrue();
  }

  @Test
  void missingIstioCrdsAreTreatedAsEmptyAndReported() {
    start("v1", "v1");
    awaitSnapshot(s -> stream.synced());

    api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata()
        .build()).create();

    awaitSnapshot(s -> s.namespaces().containsKey("shop"));
    assertThat(source.health().connected()).isTrue();
    assertThat(source.health().detail()).contains("CRDs not installed").contains("authorizationpolicies.security.istio.io");
  }

  @Test
  void istioCrdInstalledLaterIsWatchedOnceItAppears() {
    source = new KubernetesConfigSource(
        api.client, new KubernetesObjectParser(MeshConfig.defaults()), stream, errors, "v1", "v1", Duration.ZERO,
        Duration.ofMillis(200));
    source.start();
    awaitSnapshot(s -> stream.synced());

    api.installCrd(PolicyKind.AUTHORIZATION_POLICY, List.of("v1", "v1beta1"), "v1");
    api.istio(PolicyKind.AUTHORIZATION_POLICY, "v1").inNamespace("payments")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.AUTHORIZATION_POLICY, "v1", "payments",
            "allow-nothing", Map.of())).create();

    awaitSnapshot(s -> s.authorizationPoliciesIn("payments").size() == 1);
    assertThat(source.health().detail()).doesNotContain("authorizationpolicies.security.istio.io");
  }

  @Test
  void resyncDoesNotProduceNewSnapshots() {
    api.installIstioCrds();
    api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata()
        .build()).create();
    api.client.pods().inNamespace("shop").resource(pod("127.0.0.11")).create();
    source = new KubernetesConfigSource(
        api.client, new KubernetesObjectParser(MeshConfig.defaults()), stream, errors, "v1", "v1",
        Duration.ofMillis(100), Duration.ofSeconds(10));
    source.start();
    awaitSnapshot(s -> stream.synced() && s.workloads().size() == 1);
    long version = stream.version();

    // Several resync periods pass; every informer re-delivers its objects as updates with the same resourceVersion.
    await().during(Duration.ofMillis(800)).atMost(AWAIT).until(() -> stream.version() == version);
  }

  @Test
  void crdThatDoesNotServeTheConfiguredVersionIsWatchedInOneItServes() {
    api.installCrd(PolicyKind.AUTHORIZATION_POLICY, List.of("v1beta1"), "v1beta1");
    api.istio(PolicyKind.AUTHORIZATION_POLICY, "v1beta1").inNamespace("shop")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.AUTHORIZATION_POLICY, "v1beta1", "shop",
            "allow-nothing", Map.of())).create();

    start("v1", "v1");

    awaitSnapshot(s -> stream.synced() && s.authorizationPolicies().size() == 1);
  }

  @Test
  void invalidUpdateOfAPolicyKeepsItsPreviousVersion() {
    api.installIstioCrds();
    start("v1", "v1");
    awaitSnapshot(s -> stream.synced());
    api.istio(PolicyKind.AUTHORIZATION_POLICY, "v1").inNamespace("shop")
        .resource(KubernetesTestApiServer.istioObject(PolicyKind.AUTHORIZATION_POLICY, "v1", "shop",
            "deny-legacy", Map.of("action", "DENY", "rules", List.of(Map.of())))).create();
    awaitSnapshot(s -> s.authorizationPolicies().size() == 1);

    api.istio(PolicyKind.AUTHORIZATION_POLICY, "v1").inNamespace("shop").withName("deny-legacy")
        .edit(r -> {
          r.setAdditionalProperty("spec", Map.of("action", "DENY", "rules", List.of(Map.of("form", List.of()))));
          return r;
        });

    await().atMost(AWAIT).until(() -> errors.count(KubernetesConfigSource.SOURCE, ConfigInputErrors.Reason.INVALID_SPEC) == 1.0);
    MeshSnapshot s = stream.current();
    assertThat(s.authorizationPolicies()).singleElement()
        .satisfies(p -> assertThat(p.spec().getAction()).isEqualTo(AuthorizationPolicy.Action.DENY));
    assertThat(s.invalidPolicies()).isEmpty();
  }

  @Test
  void apiServerOutageKeepsTheLastSnapshotAndShowsInHealth() {
    api.installIstioCrds();
    api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata()
        .build()).create();
    start("v1", "v1");
    awaitSnapshot(s -> stream.synced() && s.namespaces().containsKey("shop"));
    await().atMost(AWAIT).until(() -> source.health().connected());

    api.server.destroy();

    await().atMost(AWAIT).until(() -> !source.health().connected());
    assertThat(source.health().detail()).startsWith("kubernetes watch disconnected since ")
        .contains("serving the last good snapshot");
    assertThat(stream.current().namespaces()).containsKey("shop");
  }

  private void start(String securityVersion, String networkingVersion) {
    source = new KubernetesConfigSource(
        api.client, new KubernetesObjectParser(MeshConfig.defaults()), stream, errors, securityVersion,
        networkingVersion, Duration.ZERO);
    source.start();
  }

  private MeshSnapshot awaitSnapshot(Predicate<MeshSnapshot> condition) {
    return await().atMost(AWAIT).until(stream::current, condition::test);
  }

  private static Pod pod(String ip) {
    return new PodBuilder().withNewMetadata().withName("frontend-0").withNamespace("shop")
        .addToLabels("app", "frontend").addToLabels("security.istio.io/tlsMode", "istio").endMetadata()
        .withNewSpec().withServiceAccountName("frontend").addNewContainer().withName("frontend").addNewPort()
        .withContainerPort(8080).endPort().endContainer().endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip).endStatus().build();
  }
}
