package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CA's Kubernetes side against the fabric8 mock API server in CRUD mode (fresh per test, on 127.0.0.1). */
class KubernetesCaTest {
  private final MutableClock clock = MutableClock.startingNow();
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(List.of()), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private SelfSignedSigner replica() {
    return new SelfSignedSigner(new KubernetesCaSecretStore(client, "istio-system", "istio-ca-secret"),
        SelfSignedSigner.Options.defaults("cluster.local"), clock);
  }

  @Test
  void replicasRacingOnAnEmptySecretEndWithOneRoot() throws Exception {
    int replicas = 4;
    CyclicBarrier start = new CyclicBarrier(replicas);
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    try {
      List<Future<SelfSignedSigner>> racers = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        racers.add(pool.submit(() -> {
          SelfSignedSigner signer = replica();
          start.await();
          signer.initialize();
          return signer;
        }));
      }
      List<TrustBundle> bundles = new ArrayList<>();
      for (Future<SelfSignedSigner> racer : racers) {
        SelfSignedSigner signer = racer.get();
        bundles.add(signer.trustBundle());
        List<X509Certificate> chain = signer.sign(SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
            TestPki.ecP256().getPublic(), null, Duration.ofHours(1)));
        assertThat(bundles.get(0).verify(chain, clock.instant())).isNotNull();
      }
      assertThat(bundles).allMatch(b -> b.equals(bundles.get(0)));
    } finally {
      pool.shutdownNow();
    }
    Secret secret = client.secrets().inNamespace("istio-system").withName("istio-ca-secret").get();
    assertThat(secret.getType()).isEqualTo("istio.io/ca-root");
    assertThat(secret.getData()).containsOnlyKeys("ca-cert.pem", "ca-key.pem", "root-cert.pem");
  }

  @Test
  void rotatedRootIsWrittenBackAndAdoptedByTheOtherReplica() {
    SelfSignedSigner a = replica();
    SelfSignedSigner b = replica();
    a.initialize();
    b.initialize();
    clock.advance(Duration.ofDays(3650 * 85 / 100));
    assertThat(a.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);
    assertThat(b.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ADOPTED_FROM_STORE);
    assertThat(b.trustBundle()).isEqualTo(a.trustBundle());
    assertThat(b.trustBundle().roots()).hasSize(2);
  }

  @Test
  void replacingAStaleResourceVersionIsAConflict() throws Exception {
    KubernetesCaSecretStore store = new KubernetesCaSecretStore(client, "istio-system", "istio-ca-secret");
    dev.gatehouse.ca.signer.selfsigned.CaSecret first = store.createIfAbsent(new dev.gatehouse.ca.signer.selfsigned.CaSecret("a", "b", "c", ""));
    store.replace(first, new dev.gatehouse.ca.signer.selfsigned.CaSecret("a2", "b2", "c2", ""));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.replace(first, new dev.gatehouse.ca.signer.selfsigned.CaSecret("a3", "b3", "c3", "")))
        .isInstanceOf(dev.gatehouse.ca.signer.selfsigned.CaSecretStore.ConflictException.class);
    assertThat(store.load().orElseThrow().caCertPem()).isEqualTo("a2");
  }

  @Test
  void trustBundleIsPublishedInEveryNamespaceIncludingNewOnesAndUpdatedOnChange() throws Exception {
    for (String ns : List.of("istio-system", "kube-system", "shop")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    SelfSignedSigner signer = replica();
    signer.initialize();
    TrustDistribution distribution = TrustDistribution.toConfigMaps(signer,
        new TrustBundleConfigMapPublisher(client, "istio-ca-root-cert", signer::trustBundle, () -> true));
    try {
      distribution.leadershipChanged(true);
      distribution.start();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        for (String ns : List.of("istio-system", "kube-system", "shop")) {
          assertPublished(ns, signer.trustBundle());
        }
      });
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build()).create();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertPublished("payments", signer.trustBundle()));

      clock.advance(Duration.ofDays(3650 * 85 / 100));
      assertThat(signer.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);
      for (String ns : List.of("istio-system", "kube-system", "shop", "payments")) {
        assertPublished(ns, signer.trustBundle());
      }

      // Someone else's edit or delete is put back.
      client.configMaps().inNamespace("shop").withName("istio-ca-root-cert")
          .edit(cm -> new io.fabric8.kubernetes.api.model.ConfigMapBuilder(cm).addToData("root-cert.pem", "tampered").build());
      client.configMaps().inNamespace("payments").withName("istio-ca-root-cert").delete();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertPublished("shop", signer.trustBundle());
        assertPublished("payments", signer.trustBundle());
      });
    } finally {
      distribution.close();
    }
  }

  @Test
  void aModeSwitchOverlapKeepsThePreviousRootInTheConfigMapsUntilItEnds() throws Exception {
    for (String ns : List.of("istio-system", "shop")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    dev.gatehouse.ca.signer.SigningAuthority previousCa = TestPki.root("cluster.local", clock.instant(), Duration.ofDays(365));
    X509Certificate previousLeaf = dev.gatehouse.ca.x509.SvidFactory.issue(previousCa, SigningRequest.workload(
        SpiffeId.of("cluster.local", "shop", "cart"), TestPki.ecP256().getPublic(), null, Duration.ofHours(1)),
        clock.instant()).get(0);
    SelfSignedSigner current = replica();
    current.initialize();
    dev.gatehouse.ca.signer.OverlappingTrustSigner signer = new dev.gatehouse.ca.signer.OverlappingTrustSigner(current,
        List.of(previousCa.root()), clock.instant().plus(Duration.ofHours(1)), clock);
    TrustDistribution distribution = TrustDistribution.toConfigMaps(signer,
        new TrustBundleConfigMapPublisher(client, "istio-ca-root-cert", signer::trustBundle, () -> true));
    try {
      distribution.leadershipChanged(true);
      distribution.start();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        for (String ns : List.of("istio-system", "shop")) {
          assertPublished(ns, TrustBundle.of(List.of(current.trustBundle().roots().get(0), previousCa.root())));
        }
      });
      TrustBundle published = TrustBundle.of(PemCodec.decodeCertificates(client.configMaps().inNamespace("shop")
          .withName("istio-ca-root-cert").get().getData().get("root-cert.pem")));
      assertThat(published.verify(List.of(previousLeaf), clock.instant())).isEqualTo(previousCa.root());

      clock.advance(Duration.ofHours(1));
      assertThat(signer.endOverlapIfDue()).isTrue();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        for (String ns : List.of("istio-system", "shop")) {
          assertPublished(ns, current.trustBundle());
        }
      });
      TrustBundle after = TrustBundle.of(PemCodec.decodeCertificates(client.configMaps().inNamespace("shop")
          .withName("istio-ca-root-cert").get().getData().get("root-cert.pem")));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> after.verify(List.of(previousLeaf), clock.instant()))
          .isInstanceOf(java.security.GeneralSecurityException.class);
    } finally {
      distribution.close();
    }
  }

  @Test
  void onlyTheLeaseHolderWritesTheConfigMapsAndANewHolderRepairsWhatChangedMeanwhile() throws Exception {
    for (String ns : List.of("istio-system", "shop")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    SelfSignedSigner signer = replica();
    signer.initialize();
    java.util.concurrent.atomic.AtomicBoolean lease = new java.util.concurrent.atomic.AtomicBoolean(false);
    TrustDistribution distribution = TrustDistribution.toConfigMaps(signer,
        new TrustBundleConfigMapPublisher(client, "istio-ca-root-cert", signer::trustBundle, lease::get));
    try {
      distribution.start();
      Thread.sleep(500);
      assertThat(client.configMaps().inAnyNamespace().withField("metadata.name", "istio-ca-root-cert").list().getItems())
          .as("a follower writes no ConfigMap").isEmpty();

      lease.set(true);
      distribution.leadershipChanged(true);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertPublished("shop", signer.trustBundle()));

      // The lease is lost: from that moment on nothing is written, even before the watches are stopped.
      lease.set(false);
      client.configMaps().inNamespace("shop").withName("istio-ca-root-cert")
          .edit(cm -> new io.fabric8.kubernetes.api.model.ConfigMapBuilder(cm).addToData("root-cert.pem", "tampered").build());
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build()).create();
      Thread.sleep(1000);
      assertThat(client.configMaps().inNamespace("shop").withName("istio-ca-root-cert").get().getData())
          .containsEntry("root-cert.pem", "tampered");
      assertThat(client.configMaps().inNamespace("payments").withName("istio-ca-root-cert").get()).isNull();
      distribution.leadershipChanged(false);

      lease.set(true);
      distribution.leadershipChanged(true);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertPublished("shop", signer.trustBundle());
        assertPublished("payments", signer.trustBundle());
      });
    } finally {
      distribution.close();
    }
  }

  @Test
  void pluggedInIntermediateIsReadFromTheCacertsSecret() {
    dev.gatehouse.ca.signer.SigningAuthority corporateRoot = TestPki.root("corp.example", clock.instant(), Duration.ofDays(3650));
    TestPki.Intermediate intermediate = TestPki.intermediate(corporateRoot, "gatehouse", clock.instant(), Duration.ofDays(365));
    SecretCaMaterialSource source = new SecretCaMaterialSource(client, "istio-system", "cacerts");
    assertThat(source.isPresent()).isFalse();
    java.util.Map<String, String> data = new java.util.HashMap<>();
    intermediate.cacertsFiles().forEach((k, v) -> data.put(k, java.util.Base64.getEncoder().encodeToString(v.getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
    client.secrets().inNamespace("istio-system").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("cacerts").withNamespace("istio-system").endMetadata().withData(data).build()).create();
    assertThat(source.isPresent()).isTrue();
    dev.gatehouse.ca.signer.pluggedin.PluggedInSigner signer = new dev.gatehouse.ca.signer.pluggedin.PluggedInSigner(source, false, clock);
    assertThat(signer.reload()).isEqualTo(dev.gatehouse.ca.signer.pluggedin.PluggedInSigner.ReloadOutcome.RELOADED);
    List<X509Certificate> chain = signer.sign(SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
        TestPki.ecP256().getPublic(), null, Duration.ofHours(1)));
    assertThat(chain).containsSubsequence(intermediate.certificate(), corporateRoot.root());
  }

  private void assertPublished(String namespace, TrustBundle bundle) throws Exception {
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName("istio-ca-root-cert").get();
    assertThat(cm).as("ConfigMap in " + namespace).isNotNull();
    assertThat(cm.getMetadata().getLabels()).containsEntry("istio.io/config", "true");
    assertThat(PemCodec.decodeCertificates(cm.getData().get("root-cert.pem"))).isEqualTo(bundle.roots());
  }
}
