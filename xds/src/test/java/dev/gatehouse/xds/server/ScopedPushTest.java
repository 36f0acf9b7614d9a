package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.ProxyScope;
import dev.gatehouse.xds.SnapshotTranslator;
import dev.gatehouse.xds.TranslationOptions;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A push visits only the proxies its change can concern ({@link ProxyScope}), with the real translator: an endpoint
 * change in a namespace-isolated mesh is translated and sent for that namespace's proxies only; in Istio's default
 * visibility it reaches every subscriber; a proxy whose translation failed is retried by the next push whatever its
 * scope; and translation options that changed between pushes reach every proxy even when the next change is in one
 * namespace (the scope is taken against the translation the streams were served from, not just the snapshot).
 */
class ScopedPushTest {
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final Node A = RawAdsClient.sidecarNode("a", "p1", "127.0.0.11", "a-sa");
  private static final Node B = RawAdsClient.sidecarNode("b", "p1", "127.0.0.21", "b-sa");
  private static final String A_CLUSTER = "outbound|8080||svc.a.svc.cluster.local";
  private static final String B_CLUSTER = "outbound|8080||svc.b.svc.cluster.local";

  private final AtomicReference<TranslationOptions> options = new AtomicReference<>(TranslationOptions.defaults());
  private final SnapshotTranslator translator = new SnapshotTranslator(options::get);
  private final Map<String, AtomicInteger> translatedByNamespace = new ConcurrentHashMap<>();
  private final Set<String> failingNamespaces = ConcurrentHashMap.newKeySet();
  private final ProxyConfigGenerator counting = new ProxyConfigGenerator() {
    @Override
    public ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy) {
      translatedByNamespace.computeIfAbsent(proxy.namespace(), k -> new AtomicInteger()).incrementAndGet();
      if (failingNamespaces.contains(proxy.namespace())) {
        throw new IllegalStateException("test: translation of " + proxy.namespace() + " fails");
      }
      return translator.generate(snapshot, proxy);
    }

    @Override
    public ProxyScope changedSince(MeshSnapshot previous, MeshSnapshot next) {
      return translator.changedSince(previous, next);
    }
  };

  /** How many streams the last push visited. */
  private final AtomicInteger lastPushStreams = new AtomicInteger(-1);
  private final List<AutoCloseable> closeables = new java.util.ArrayList<>();
  private XdsServer xds;
  private ManagedChannel channel;

  /** Namespaces a and b, one service and one sidecar pod each; {@code aEndpoint} is svc.a's endpoint. */
  private static MeshSnapshot mesh(long v, MeshConfig config, String aEndpoint) {
    return MeshSnapshot.builder(v, config).namespace(namespace("a")).namespace(namespace("b"))
        .workload(pod("a", "p1", "a-sa", "127.0.0.11", false))
        .workload(pod("b", "p1", "b-sa", "127.0.0.21", false))
        .service(service("a", "svc", 8080)).service(service("b", "svc", 8080))
        .endpointSlice(endpoints("a", "svc", 8080, aEndpoint))
        .endpointSlice(endpoints("b", "svc", 8080, "127.0.0.21"))
        .build();
  }

  private static MeshConfig isolated() {
    return MeshConfig.defaults().withDefaultServiceExportTo(List.of(MeshConfig.EXPORT_OWN_NAMESPACE));
  }

  private void start(MeshSnapshot initial) throws Exception {
    xds = XdsServer.builder(counting).initialSnapshot(initial).events(new XdsServerEvents() {
      @Override
      public void pushCompleted(Duration took, int distinctProxies, int streams) {
        lastPushStreams.set(streams);
      }
    }).build();
    closeables.add(xds);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    xds.services().forEach(b::addService);
    Server server = b.build().start();
    closeables.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
    closeables.add(channel::shutdownNow);
  }

  private void push(MeshSnapshot s) throws InterruptedException {
    TestMeshes.pushAndAwait(xds, s);
  }

  /** A SotW client that has ACKed its CDS (wildcard) and the EDS of {@code clusters}. */
  private RawAdsClient connect(Node node, List<String> clusters) throws InterruptedException {
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(node, CDS, "", "", List.of());
    c.ack(c.next(), List.of());
    c.request(null, EDS, "", "", clusters);
    DiscoveryResponse eds = c.next();
    assertThat(eds.getTypeUrl()).isEqualTo(EDS);
    c.ack(eds, clusters);
    return c;
  }

  /** The streams the last push visited; its event follows its pushed version, so wait for it (at most 5 s). */
  private int awaitLastPushStreams() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (lastPushStreams.get() < 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return lastPushStreams.get();
  }

  private int translated(String namespace) {
    AtomicInteger n = translatedByNamespace.get(namespace);
    return n == null ? 0 : n.get();
  }

  private static List<String> addresses(DiscoveryResponse eds) throws Exception {
    ClusterLoadAssignment cla = eds.getResources(0).unpack(ClusterLoadAssignment.class);
    return cla.getEndpointsList().stream().flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).toList();
  }

  @AfterEach
  void closeInReverse() throws Exception {
    while (!closeables.isEmpty()) {
      closeables.remove(closeables.size() - 1).close();
    }
  }

  @Test
  void anEndpointChangeInAnIsolatedNamespaceIsTranslatedAndSentForThatNamespaceOnly() throws Exception {
    start(mesh(1, isolated(), "127.0.0.11"));
    RawAdsClient a = connect(A, List.of(A_CLUSTER));
    RawAdsClient b = connect(B, List.of(B_CLUSTER));
    push(mesh(2, isolated(), "127.0.0.11")); // the same content again: nothing to send
    assertThat(awaitLastPushStreams()).isZero();
    translatedByNamespace.clear();
    lastPushStreams.set(-1);

    push(mesh(3, isolated(), "127.0.0.12"));
    DiscoveryResponse eds = a.next();
    assertThat(eds.getTypeUrl()).isEqualTo(EDS);
    assertThat(addresses(eds)).containsExactly("127.0.0.12");
    assertThat(translated("a")).isPositive();
    // Counted by the push itself (as in the first-push case below): b's late ACK may look up b's config for the new
    // snapshot, which a translation count would take for a push.
    assertThat(awaitLastPushStreams()).as("b's proxy is outside the change's scope: the push visits a's only")
        .isEqualTo(1);
    assertThat(b.poll(Duration.ofMillis(300))).isNull();
    assertThat(a.poll(Duration.ofMillis(100))).as("only EDS changed for a").isNull();
  }

  /** The streams connected before any push were served from the initial snapshot: the first push is scoped too. */
  @Test
  void theFirstChangeAfterAStartIsScopedAgainstTheInitialSnapshot() throws Exception {
    start(mesh(1, isolated(), "127.0.0.11"));
    RawAdsClient a = connect(A, List.of(A_CLUSTER));
    RawAdsClient b = connect(B, List.of(B_CLUSTER));

    push(mesh(2, isolated(), "127.0.0.12"));
    assertThat(addresses(a.next())).containsExactly("127.0.0.12");
    // Counted by the push itself: b's late ACK may still make the server look up b's config for the new snapshot.
    assertThat(awaitLastPushStreams()).as("the first push visits a's stream only, not b's").isEqualTo(1);
    assertThat(b.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void inIstiosDefaultVisibilityAnEndpointChangeReachesEverySubscriber() throws Exception {
    MeshConfig everywhere = MeshConfig.defaults();
    start(mesh(1, everywhere, "127.0.0.11"));
    RawAdsClient a = connect(A, List.of(A_CLUSTER));
    RawAdsClient b = connect(B, List.of(A_CLUSTER, B_CLUSTER));
    push(mesh(2, everywhere, "127.0.0.11"));

    push(mesh(3, everywhere, "127.0.0.12"));
    assertThat(addresses(a.next())).containsExactly("127.0.0.12");
    DiscoveryResponse forB = b.next();
    assertThat(forB.getTypeUrl()).isEqualTo(EDS);
    assertThat(forB.getResourcesList()).hasSize(2);
  }

  @Test
  void aProxyWhoseTranslationFailedIsRetriedByTheNextPushWhateverItsScope() throws Exception {
    start(mesh(1, isolated(), "127.0.0.11"));
    connect(A, List.of(A_CLUSTER));
    push(mesh(2, isolated(), "127.0.0.11"));
    failingNamespaces.add("b");
    RawAdsClient b = RawAdsClient.sotw(channel);
    b.request(B, CDS, "", "", List.of());
    DiscoveryResponse none = b.next();
    assertThat(none.getResourcesList()).as("translation failed: nothing to serve yet").isEmpty();
    b.ack(none, List.of());

    failingNamespaces.clear();
    push(mesh(3, isolated(), "127.0.0.12")); // a change in namespace a only
    DiscoveryResponse cds = b.next();
    assertThat(cds.getResourcesList()).extracting(r -> r.unpack(Cluster.class).getName()).contains(B_CLUSTER);
  }

  @Test
  void optionsChangedBetweenPushesReachEveryProxyWhenTheNextChangeIsInOneNamespace() throws Exception {
    start(mesh(1, isolated(), "127.0.0.11"));
    connect(A, List.of(A_CLUSTER));
    RawAdsClient b = connect(B, List.of(B_CLUSTER));
    MeshSnapshot s2 = mesh(2, isolated(), "127.0.0.11");
    push(s2);
    assertThat(b.poll(Duration.ofMillis(200))).isNull();

    // New options, and someone (a debug view, a connecting proxy) translates the pushed snapshot with them before the
    // next change arrives: the next translation derives from that one, not from the one b was served.
    options.set(TranslationOptions.defaults().withAutoMtls(false));
    translator.generate(s2, new ProxyIdentity(dev.gatehouse.xds.ProxyKind.SIDECAR,
        dev.gatehouse.model.ObjectKey.of("a", "p1"), "127.0.0.11", "a", "a-sa", Map.of()));
    push(mesh(3, isolated(), "127.0.0.12"));

    DiscoveryResponse cds = b.next();
    assertThat(cds.getTypeUrl()).isEqualTo(CDS);
    Cluster bCluster = cds.getResourcesList().stream().map(r -> {
      try {
        return r.unpack(Cluster.class);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }).filter(c -> c.getName().equals(B_CLUSTER)).findFirst().orElseThrow();
    assertThat(bCluster.getTransportSocketMatchesList()).as("auto mTLS now off").isEmpty();
  }
}
