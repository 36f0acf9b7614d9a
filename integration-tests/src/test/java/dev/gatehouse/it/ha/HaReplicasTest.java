package dev.gatehouse.it.ha;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.selfsigned.CaSecret;
import dev.gatehouse.ca.x509.RootCertificateFactory;
import dev.gatehouse.controlplane.ca.KubernetesCaSecretStore;
import dev.gatehouse.controlplane.ha.Leadership;
import dev.gatehouse.controlplane.ha.ReplicaDrain;
import dev.gatehouse.it.agent.CaEndpoint;
import dev.gatehouse.it.agent.GrpcXdsBootstrap;
import dev.gatehouse.it.agent.IssuedCertificate;
import dev.gatehouse.it.agent.WorkloadAgent;
import dev.gatehouse.it.agent.WorkloadIdentity;
import dev.gatehouse.it.cluster.GatehouseUnderTest;
import dev.gatehouse.it.cluster.MeshCluster;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.cluster.ServiceAccountTokenIssuer;
import dev.gatehouse.xds.server.ProxySyncStatus;
import dev.gatehouse.xds.server.TypeSyncStatus;
import dev.gatehouse.xds.server.XdsServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.xds.XdsNameResolverProvider;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three Gatehouse replicas (the real Spring application, three contexts in this JVM) against one fabric8 mock API
 * server in CRUD mode, as the chart runs them: they start at the same moment, elect one leader through the Lease,
 * share the CA Secret, and survive losing replicas one after the other. The steps build on each other (three
 * replicas, then two after the leader is stopped, then one after a follower drains), so they run in order.
 * Figures are printed with the prefix {@code HA:} (docs/ha.md quotes them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaReplicasTest {
  private static final String NS = "ha-shop";
  private static final Duration LEASE = Duration.ofSeconds(4);
  private static final Duration DRAIN_WINDOW = Duration.ofSeconds(2);
  private static final String SCHEME = "gatehouse-ha-test";
  /** Bearer token the replicas' Kubernetes clients send, so that their API calls can be told from the test's own. */
  private static final String REPLICA_TOKEN = "gatehouse-replica-sa-token";

  @TempDir static Path work;
  private static MeshCluster cluster;
  private static ServiceAccountTokenIssuer tokens;
  private static final List<GatehouseUnderTest> replicas = new ArrayList<>();
  private static final List<IssuedCertificate> issuedBeforeRotation = new ArrayList<>();
  private static ServiceFrontTestProxy front;
  private static XdsNameResolverProvider resolver;
  private static ManagedChannel channel;

  @BeforeAll
  static void startThreeReplicasAtOnce() throws Exception {
    cluster = MeshCluster.start();
    tokens = new ServiceAccountTokenIssuer();
    tokens.serveOn(cluster.server());
    cluster.namespace(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE, Map.of());
    cluster.namespace(NS, Map.of("istio-injection", "enabled"));
    cluster.service(NS, "backend", 8080);
    MeshPod backend = new MeshPod(NS, "backend-0", "backend", "127.0.9.30", Map.of("app", "backend"), 8080);
    cluster.pod(backend);
    cluster.endpointsOf(NS, "backend", 8080, List.of(backend));
    cluster.pod(new MeshPod(NS, "client-0", "client", "127.0.9.21", Map.of("app", "client"), 8080));

    ExecutorService starters = Executors.newFixedThreadPool(3);
    // fabric8 reads this when each replica's client is built; the test's own client (built above) sends none.
    System.setProperty("kubernetes.auth.token", REPLICA_TOKEN);
    try {
      List<Future<GatehouseUnderTest>> starting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String identity = "replica-" + i;
        Path state = work.resolve(identity);
        starting.add(starters.submit(() -> GatehouseUnderTest.start(cluster, state, Map.of(
            "gatehouse.ca.mode", "selfSigned", // the chart's default (the property's own default is Istio's auto)
            "gatehouse.leader-election.identity", identity,
            "gatehouse.leader-election.lease-duration", LEASE.toMillis() + "ms",
            "gatehouse.leader-election.renew-deadline", "3s",
            "gatehouse.leader-election.retry-period", "500ms",
            "gatehouse.ca.self-signed.check-interval", "1s",
            "gatehouse.drain.window", DRAIN_WINDOW.toMillis() + "ms",
            "gatehouse.drain.in-flight-timeout", "5s"))));
      }
      for (Future<GatehouseUnderTest> f : starting) {
        replicas.add(f.get(120, TimeUnit.SECONDS));
      }
    } finally {
      starters.shutdownNow();
      System.clearProperty("kubernetes.auth.token");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    if (front != null) {
      front.close();
    }
    replicas.forEach(GatehouseUnderTest::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void exactlyOneRootAndOneLeaderAlthoughTheyStartedTogether() throws Exception {
    List<io.fabric8.kubernetes.api.model.Secret> secrets = cluster.client().secrets()
        .inNamespace(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE).list().getItems();
    assertThat(secrets).extracting(s -> s.getMetadata().getName()).containsOnlyOnce("istio-ca-secret");
    CaSecret stored = store().load().orElseThrow();
    List<X509Certificate> storedRoots = PemCodec.decodeCertificates(stored.rootCertPem());
    assertThat(storedRoots).hasSize(1);
    for (GatehouseUnderTest r : replicas) {
      assertThat(bundle(r).roots()).as(identity(r)).containsExactlyElementsOf(storedRoots);
    }

    eventually(Duration.ofSeconds(10), () -> replicas.stream().filter(r -> leadership(r).holdsLease()).count() == 1);
    GatehouseUnderTest leader = leader();
    Lease lease = cluster.client().leases().inNamespace(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE)
        .withName("gatehouse-leader").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(identity(leader));
    for (GatehouseUnderTest r : replicas) {
      Map<?, ?> leaderz = new Gson().fromJson(r.get("/debug/leaderz").body(), Map.class);
      assertThat(leaderz.get("holder")).as(identity(r)).isEqualTo(identity(leader));
      assertThat(leaderz.get("leader")).as(identity(r)).isEqualTo(r == leader);
      assertThat(r.get("/actuator/health").body()).contains("\"leaderElection\"").contains(identity(leader));
    }
    assertThat((String) new Gson().fromJson(leader.get("/debug/leaderz").body(), Map.class).get("leaderSince"))
        .isNotBlank();
  }

  @Test
  @Order(2)
  void certificatesFromEveryReplicaVerifyAgainstThePublishedBundle() throws Exception {
    String published = leader().rootCertFor(NS, Duration.ofSeconds(20));
    TrustBundle bundle = TrustBundle.of(PemCodec.decodeCertificates(published));
    for (GatehouseUnderTest r : replicas) {
      try (WorkloadAgent agent = agent(r, "echo", published, work.resolve("certs-" + identity(r)))) {
        IssuedCertificate cert = agent.obtainAndInstall();
        bundle.verify(cert.chain(), Instant.now());
        issuedBeforeRotation.add(cert);
      }
    }
    assertThat(issuedBeforeRotation).extracting(IssuedCertificate::serial).doesNotHaveDuplicates();
  }

  @Test
  @Order(3)
  void stoppingTheLeaderMovesConfigMapsToASurvivorAndItsProxylessClientToAnotherReplica() throws Exception {
    GatehouseUnderTest leader = leader();
    List<Integer> order = new ArrayList<>();
    order.add(leader.plaintextPort());
    replicas.stream().filter(r -> r != leader).forEach(r -> order.add(r.plaintextPort()));
    front = new ServiceFrontTestProxy(order);
    startProxylessClient();
    ProxySyncStatus before = awaitSynced(leader);
    Map<String, String> versionsBefore = ackedVersions(before);

    ReplicaDrain drain = leader.context().getBean(ReplicaDrain.class);
    String stoppedName = identity(leader);
    Leadership stopping = leadership(leader);
    long t0 = System.nanoTime();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(leader::close);
    eventually(Duration.ofSeconds(5), () -> !stopping.holdsLease());
    cluster.namespace("ha-late", Map.of());
    List<GatehouseUnderTest> survivors = replicas.stream().filter(r -> r != leader).toList();
    eventually(LEASE, () -> cluster.configMap("ha-late", "istio-ca-root-cert") != null);
    Duration takeover = Duration.ofNanos(System.nanoTime() - t0);
    closing.get(30, TimeUnit.SECONDS);
    Duration stopped = Duration.ofNanos(System.nanoTime() - t0);
    replicas.remove(leader);

    GatehouseUnderTest newLeader = leader();
    assertThat(survivors).contains(newLeader);
    System.out.printf("HA: leader %s stopped; %s reconciled the ConfigMap of a new namespace %d ms later (lease %s)%n",
        stoppedName, identity(newLeader), takeover.toMillis(), LEASE);
    ReplicaDrain.Report report = drain.lastDrain().orElseThrow();
    System.out.printf("HA: drain of %s: %d xDS stream(s) ended, calls completed=%s, drain %d ms, whole stop %d ms%n",
        stoppedName, report.streams(), report.callsCompleted(), report.took().toMillis(), stopped.toMillis());
    assertThat(report.streams()).isGreaterThanOrEqualTo(1);
    assertThat(report.callsCompleted()).isTrue();

    GatehouseUnderTest now = survivors.stream().filter(r -> syncedProxy(r).isPresent()).findFirst()
        .orElseGet(() -> awaitAnySynced(survivors));
    Map<String, String> versionsAfter = ackedVersions(syncedProxy(now).orElseThrow());
    System.out.printf("HA: proxyless client reconnected to %s; acked versions %s%n", identity(now), versionsAfter);
    // Versions are content hashes: equal versions mean the client holds exactly the resources it had before.
    assertThat(versionsAfter).isEqualTo(versionsBefore);
    assertThat(front.connections()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(front.connections().get(0)).isEqualTo(order.get(0));
    assertThat(front.connections().get(front.connections().size() - 1)).isNotEqualTo(order.get(0));
  }

  @Test
  @Order(4)
  void aRootRotatedByTheLeaderReachesTheFollowerWithBothRootsInTheBundle() throws Exception {
    GatehouseUnderTest leader = leader();
    GatehouseUnderTest follower = replicas.stream().filter(r -> r != leader).findFirst().orElseThrow();
    // Time travel instead of waiting years: the stored root becomes what it is nine tenths into its life (same key,
    // same subject), so the leader's next check finds the rotation due.
    KubernetesCaSecretStore store = store();
    CaSecret current = store.load().orElseThrow();
    PrivateKey key = PemCodec.decodePrivateKey(current.caKeyPem());
    X509Certificate root = PemCodec.decodeCertificates(current.caCertPem()).get(0);
    X509Certificate aged = RootCertificateFactory.reissue(root, key, Instant.now().minus(Duration.ofDays(9)),
        Duration.ofDays(10));
    String agedPem = PemCodec.encodeCertificate(aged);
    long t0 = System.nanoTime();
    store.replace(current, new CaSecret(agedPem, current.caKeyPem(), agedPem, ""));

    eventually(Duration.ofSeconds(15), () -> bundle(follower).roots().size() == 2);
    Duration reached = Duration.ofNanos(System.nanoTime() - t0);
    List<X509Certificate> roots = bundle(follower).roots();
    X509Certificate rotated = roots.get(0);
    assertThat(roots).contains(aged);
    assertThat(rotated.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(3000)));
    // The leader installs the rotated root only after the store accepted it, and the follower's watch can fire
    // before that install returns: both converge, neither is asked to be first.
    eventually(Duration.ofSeconds(5), () -> bundle(leader).roots().equals(roots));
    assertThat(bundle(leader).roots()).containsExactlyElementsOf(roots);
    System.out.printf("HA: root rotated by %s reached follower %s %d ms after the root became due%n",
        identity(leader), identity(follower), reached.toMillis());
    eventually(Duration.ofSeconds(10), () -> {
      ConfigMap cm = cluster.configMap(NS, "istio-ca-root-cert");
      return cm != null && cm.getData().get("root-cert.pem").equals(bundle(leader).pem());
    });

    TrustBundle published = TrustBundle.of(PemCodec.decodeCertificates(
        cluster.configMap(NS, "istio-ca-root-cert").getData().get("root-cert.pem")));
    for (IssuedCertificate before : issuedBeforeRotation) {
      published.verify(before.chain(), Instant.now());
      bundle(follower).verify(before.chain(), Instant.now());
    }
    for (GatehouseUnderTest r : replicas) {
      try (WorkloadAgent agent = agent(r, "echo", published.pem(), work.resolve("rotated-" + identity(r)))) {
        IssuedCertificate after = agent.obtainAndInstall();
        assertThat(after.chain().get(after.chain().size() - 1)).as(identity(r)).isEqualTo(rotated);
        for (GatehouseUnderTest other : replicas) {
          bundle(other).verify(after.chain(), Instant.now());
        }
      }
    }
  }

  @Test
  @Order(5)
  void aDrainingReplicaCompletesTheCreateCertificateItWasServing() throws Exception {
    GatehouseUnderTest follower = replicas.stream().filter(r -> !leadership(r).holdsLease()).findFirst().orElseThrow();
    String rootPem = bundle(follower).pem();
    ReplicaDrain drain = follower.context().getBean(ReplicaDrain.class);
    String followerName = identity(follower);
    tokens.delayReviews(Duration.ofMillis(1500));
    try (WorkloadAgent agent = agent(follower, "slow", rootPem, work.resolve("slow"))) {
      CompletableFuture<IssuedCertificate> csr = CompletableFuture.supplyAsync(() -> {
        try {
          return agent.obtainAndInstall();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(400);
      assertThat(csr).isNotDone();
      long t0 = System.nanoTime();
      follower.close();
      Duration stopped = Duration.ofNanos(System.nanoTime() - t0);
      replicas.remove(follower);
      IssuedCertificate cert = csr.get(10, TimeUnit.SECONDS);
      bundle(replicas.get(0)).verify(cert.chain(), Instant.now());
      ReplicaDrain.Report report = drain.lastDrain().orElseThrow();
      System.out.printf("HA: drain of %s with a CreateCertificate in flight: completed=%s, drain %d ms, stop %d ms%n",
          followerName, report.callsCompleted(), report.took().toMillis(), stopped.toMillis());
      assertThat(report.callsCompleted()).isTrue();
    } finally {
      tokens.delayReviews(Duration.ZERO);
    }
  }

  /**
   * The chart's RBAC is exactly what the replicas used: every Kubernetes API call they made in this class (start,
   * election, failover, root rotation, ConfigMap reconciliation, TokenReviews, drains) is allowed by the rendered
   * ClusterRole, or by the Role in their own namespace, and every permission the chart grants was used by some call.
   */
  @Test
  @Order(6)
  void theApiCallsTheReplicasMadeAreExactlyWhatTheChartGrants() throws Exception {
    List<ApiCalls.Call> calls = new ArrayList<>();
    int discovery = 0;
    int others = 0;
    io.fabric8.mockwebserver.http.RecordedRequest request;
    while ((request = cluster.server().takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
      String auth = request.getHeader("Authorization");
      if (auth == null || !auth.equals("Bearer " + REPLICA_TOKEN)) {
        others++;
        continue;
      }
      Optional<ApiCalls.Call> call = ApiCalls.parse(request.getMethod(), request.getPath());
      if (call.isPresent()) {
        calls.add(call.get());
      } else {
        discovery++;
      }
    }
    var chart = dev.gatehouse.it.helm.RenderedChart.render(Map.of());
    List<ApiCalls.Rule> clusterRules = ApiCalls.rules(chart.only("ClusterRole"));
    List<ApiCalls.Rule> namespaceRules = ApiCalls.rules(chart.only("Role"));
    java.util.Set<ApiCalls.Call> distinct = new java.util.TreeSet<>(java.util.Comparator.comparing(ApiCalls.Call::toString));
    distinct.addAll(calls);
    System.out.printf("HA: %d Kubernetes API calls by the replicas (%d distinct, %d discovery), %d by the test%n",
        calls.size(), distinct.size(), discovery, others);
    distinct.forEach(c -> System.out.println("HA:   " + c));
    assertThat(calls).as("the replicas' calls were recorded").hasSizeGreaterThan(20);

    // (a) Nothing the replicas did needs more than the chart grants.
    assertThat(distinct).allSatisfy(c -> assertThat(
        clusterRules.stream().anyMatch(r -> r.allows(c))
            || (c.namespace().equals(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE)
                && namespaceRules.stream().anyMatch(r -> r.allows(c))))
        .as("allowed by the chart: " + c).isTrue());

    // (b) Nothing the chart grants goes unused: each (group, resource, verb, name) a rule expands to was called.
    List<String> unused = new ArrayList<>();
    for (var scoped : List.of(Map.entry("ClusterRole", clusterRules), Map.entry("Role", namespaceRules))) {
      for (ApiCalls.Rule r : scoped.getValue()) {
        for (String g : r.apiGroups()) {
          for (String res : r.resources()) {
            for (String verb : r.verbs()) {
              List<String> names = r.resourceNames().isEmpty() ? java.util.Collections.singletonList(null) : r.resourceNames();
              for (String name : names) {
                boolean used = distinct.stream().anyMatch(c -> c.group().equals(g) && c.resource().equals(res)
                    && c.verb().equals(verb) && (name == null || c.name().equals(name))
                    && (scoped.getKey().equals("ClusterRole")
                        || c.namespace().equals(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE)));
                if (!used) {
                  unused.add(scoped.getKey() + ": " + verb + " " + (g.isEmpty() ? "core" : g) + "/" + res
                      + (name == null ? "" : " named " + name));
                }
              }
            }
          }
        }
      }
    }
    unused.forEach(u -> System.out.println("HA:   granted but not called: " + u));
    assertThat(unused).as("permissions the chart grants that no replica used").isEqualTo(UNUSED_BY_DESIGN);
  }

  /**
   * Permissions the chart grants for a path this class does not drive, each with the reason. Keep it short: anything
   * here is a permission no test proves necessary.
   */
  private static final List<String> UNUSED_BY_DESIGN = List.of();

  private static void startProxylessClient() throws Exception {
    Map<String, String> labels = Map.of("app", "client");
    Path certs = work.resolve("client-certs");
    String rootPem = leader().rootCertFor(NS, Duration.ofSeconds(20));
    try (WorkloadAgent agent = agent(leader(), "client", rootPem, certs)) {
      agent.obtainAndInstall();
    }
    String json = GrpcXdsBootstrap.forPod("127.0.0.1:" + front.port(), "client-0", NS, "127.0.9.21", "client",
        new TreeMap<>(labels), "cluster.local", certs).toJson();
    @SuppressWarnings("unchecked")
    Map<String, ?> bootstrap = new Gson().fromJson(json, Map.class);
    resolver = XdsNameResolverProvider.createForTest(SCHEME, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(SCHEME + ":///backend." + NS + ".svc.cluster.local:8080",
        InsecureChannelCredentials.create()).build();
    // One call makes the channel resolve (LDS, RDS, CDS, EDS); its outcome does not matter (no backend runs).
    HealthGrpc.newStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance(), new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(io.grpc.health.v1.HealthCheckResponse value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
  }

  private static Optional<ProxySyncStatus> syncedProxy(GatehouseUnderTest r) {
    return r.context().getBean(XdsServer.class).syncStatus().stream()
        .filter(p -> (NS + "/client-0").equals(p.workload()))
        .filter(p -> p.types().size() == 4 && p.types().stream()
            .allMatch(t -> !t.ackedVersion().isEmpty() && t.ackedVersion().equals(t.sentVersion())))
        .findFirst();
  }

  private static ProxySyncStatus awaitSynced(GatehouseUnderTest r) throws InterruptedException {
    eventually(Duration.ofSeconds(20), () -> syncedProxy(r).isPresent());
    return syncedProxy(r).orElseThrow();
  }

  private static GatehouseUnderTest awaitAnySynced(List<GatehouseUnderTest> among) {
    try {
      eventually(Duration.ofSeconds(20), () -> among.stream().anyMatch(r -> syncedProxy(r).isPresent()));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return among.stream().filter(r -> syncedProxy(r).isPresent()).findFirst().orElseThrow();
  }

  private static Map<String, String> ackedVersions(ProxySyncStatus p) {
    Map<String, String> v = new TreeMap<>();
    for (TypeSyncStatus t : p.types()) {
      v.put(t.typeUrl().substring(t.typeUrl().lastIndexOf('.') + 1), t.ackedVersion());
    }
    return v;
  }

  private static WorkloadAgent agent(GatehouseUnderTest r, String sa, String rootPem, Path dir) {
    cluster.serviceAccount(NS, sa);
    Supplier<String> token = () -> tokens.mint(NS, sa, List.of("istio-ca"), Duration.ofHours(1));
    return new WorkloadAgent(new WorkloadIdentity("cluster.local", NS, sa),
        new CaEndpoint("127.0.0.1", r.securePort(), GatehouseUnderTest.CA_AUTHORITY, rootPem), token,
        Duration.ofHours(1), dir, Clock.systemUTC());
  }

  private static KubernetesCaSecretStore store() {
    return new KubernetesCaSecretStore(cluster.client(), GatehouseUnderTest.CONTROL_PLANE_NAMESPACE, "istio-ca-secret");
  }

  private static GatehouseUnderTest leader() throws InterruptedException {
    eventually(LEASE.multipliedBy(2), () -> replicas.stream().anyMatch(r -> leadership(r).holdsLease()));
    return replicas.stream().filter(r -> leadership(r).holdsLease()).findFirst().orElseThrow();
  }

  private static Leadership leadership(GatehouseUnderTest r) {
    return r.context().getBean(Leadership.class);
  }

  private static TrustBundle bundle(GatehouseUnderTest r) {
    return r.context().getBean(CertificateSigner.class).trustBundle();
  }

  private static String identity(GatehouseUnderTest r) {
    return leadership(r).status().identity();
  }

  private static void eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within " + timeout).isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
