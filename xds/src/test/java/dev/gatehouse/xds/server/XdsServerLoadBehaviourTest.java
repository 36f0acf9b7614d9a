package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.ProxyResources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server under load: a proxy that never reads cannot hold up anyone else's push, a connect storm translates each
 * distinct proxy once (single flight) on a bounded number of threads, and replicas share one serialized config.
 */
class XdsServerLoadBehaviourTest {
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final String LDS = ProxyResources.LISTENER;
  private static final String RDS = ProxyResources.ROUTE;
  private static final int BIG_SERVICES = 400;

  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  /** Namespace "big" (many services, so its config is far larger than an HTTP/2 flow-control window) and "shop". */
  private static MeshSnapshot.Builder twoNamespaces(long v) {
    MeshSnapshot.Builder b = mesh(v).namespace(namespace("big")).namespace(namespace("shop"))
        .workload(pod("big", "stuck", "big-sa", "127.0.0.21", false))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"));
    for (int i = 0; i < BIG_SERVICES; i++) {
      b.service(service("big", "svc-" + i, 9000))
          .endpointSlice(endpoints("big", "svc-" + i, 9000, "127.0.1." + (i % 250 + 1)));
    }
    return b;
  }

  @Test
  void aProxyThatNeverReadsDoesNotDelayThePushToOthers() throws Exception {
    XdsServer xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(twoNamespaces(1).build())
        .build();
    cleanup.add(xds);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addServices(xds.services()).build().start();
    cleanup.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ManagedChannel stuckChannel = channel(server);
    ManagedChannel goodChannel = channel(server);
    cleanup.add(stuckChannel::shutdownNow);
    cleanup.add(goodChannel::shutdownNow);

    // The stuck proxy asks for everything and never reads a message (no request(n): gRPC flow control stalls).
    Node stuckNode = RawAdsClient.sidecarNode("big", "stuck", "127.0.0.21", "big-sa");
    ProxyIdentity stuckId = new ProxyIdentity(
        ProxyKind.SIDECAR, dev.gatehouse.model.ObjectKey.of("big", "stuck"), "127.0.0.21", "big", "big-sa", Map.of());
    long stuckBytes = 0;
    for (TypeResources tr : xds.configFor(stuckId).orElseThrow().types().values()) {
      stuckBytes += tr.sizeBytes();
    }
    assertThat(stuckBytes).as("the stuck proxy's config must be well over the 64 KiB HTTP/2 window").isGreaterThan(128 << 10);
    ClientCall<DiscoveryRequest, DiscoveryResponse> stuck = stuckChannel.newCall(
        AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod(), CallOptions.DEFAULT);
    stuck.start(new ClientCall.Listener<>() {}, new Metadata());
    for (String type : List.of(CDS, EDS, LDS, RDS)) {
      stuck.sendMessage(DiscoveryRequest.newBuilder().setNode(stuckNode).setTypeUrl(type).build());
    }
    cleanup.add(() -> stuck.cancel("test over", null));
    awaitTrue(() -> xds.syncStatus().stream()
        .anyMatch(p -> p.nodeId().equals(stuckNode.getId())
            && p.types().size() == 4 && p.types().stream().allMatch(t -> !t.sentVersion().isEmpty())));

    RawAdsClient good = RawAdsClient.sotw(goodChannel);
    cleanup.add(good);
    Node goodNode = RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa");
    good.request(goodNode, LDS, "", "", List.of());
    DiscoveryResponse first = good.next();
    good.ack(first, List.of());

    // Both namespaces change; the stuck proxy's stream has data queued that it never reads.
    MeshSnapshot v2 = twoNamespaces(2).authorizationPolicy(TestMeshes.allow("shop", "allow-all"))
        .authorizationPolicy(TestMeshes.allow("big", "allow-all")).build();
    xds.onSnapshot(v2);
    Object next = good.poll(Duration.ofSeconds(30));
    assertThat(next).isInstanceOf(DiscoveryResponse.class);
    assertThat(((DiscoveryResponse) next).getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    awaitTrue(() -> xds.pushedVersion() == 2);
    assertThat(xds.syncStatus().stream().filter(p -> p.nodeId().equals(stuckNode.getId())).findFirst().orElseThrow()
        .types().stream().allMatch(t -> t.ackedVersion().isEmpty())).isTrue();
  }

  @Test
  void aConnectStormTranslatesEachProxyOnceOnBoundedThreads() throws Exception {
    SlowCountingGenerator generator = new SlowCountingGenerator();
    MeshSnapshot.Builder b = mesh(1).namespace(namespace("shop")).service(service("shop", "a", 8080))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"));
    int pods = 12;
    for (int i = 0; i < pods; i++) {
      b.workload(pod("shop", "p" + i, "shop-sa", "127.0.0." + (20 + i), false));
    }
    XdsServer xds = XdsServer.builder(generator).initialSnapshot(b.build()).initialConfigThreads(2).build();
    cleanup.add(xds);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder sb = InProcessServerBuilder.forName(name);
    xds.services().forEach(sb::addService);
    Server server = sb.build().start();
    cleanup.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    cleanup.add(channel::shutdownNow);

    // Every pod opens two streams at once (a reconnect racing the old stream, or per-type streams).
    List<RawAdsClient> clients = new ArrayList<>();
    for (int copy = 0; copy < 2; copy++) {
      for (int i = 0; i < pods; i++) {
        RawAdsClient c = RawAdsClient.sotw(channel);
        cleanup.add(c);
        c.request(RawAdsClient.sidecarNode("shop", "p" + i, "127.0.0." + (20 + i), "shop-sa"), LDS, "", "", List.of());
        clients.add(c);
      }
    }
    for (RawAdsClient c : clients) {
      Object r = c.poll(Duration.ofSeconds(30));
      assertThat(r).isInstanceOf(DiscoveryResponse.class);
      assertThat(((DiscoveryResponse) r).getResourcesCount()).isEqualTo(2);
    }
    assertThat(generator.callsByPod).hasSize(pods);
    assertThat(generator.callsByPod.values()).allMatch(n -> n.get() == 1);
    assertThat(generator.maxInFlight.get()).isBetween(1, 2);
  }

  @Test
  void replicasShareOneSerializedConfig() {
    MeshSnapshot s = mesh(1).namespace(namespace("shop")).service(service("shop", "a", 8080))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .workload(pod("shop", "p2", "shop-sa", "127.0.0.12", false))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11")).build();
    try (XdsServer xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(s).build()) {
      ProxyConfig c1 = xds.configFor(identity("p1", "127.0.0.11")).orElseThrow();
      ProxyConfig c2 = xds.configFor(identity("p2", "127.0.0.12")).orElseThrow();
      assertThat(c2).isSameAs(c1);
      assertThat(c1.type(LDS).resources()).isNotEmpty();
    }
  }

  private static ProxyIdentity identity(String pod, String ip) {
    return new ProxyIdentity(
        ProxyKind.SIDECAR, dev.gatehouse.model.ObjectKey.of("shop", pod), ip, "shop", "shop-sa", Map.of());
  }

  /** Polls {@code cond} for up to 30 s (generous: the machine may be loaded). */
  private static void awaitTrue(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 30 s");
      }
      Thread.sleep(10);
    }
  }

  private static ManagedChannel channel(Server server) {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  /** The stand-in translator, slowed down, counting calls per pod and how many run at once. */
  private static final class SlowCountingGenerator implements ProxyConfigGenerator {
    private final NamespaceScopedTestGenerator delegate = new NamespaceScopedTestGenerator();
    final Map<String, AtomicInteger> callsByPod = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();

    @Override
    public ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy) {
      callsByPod.computeIfAbsent(proxy.workload().name(), k -> new AtomicInteger()).incrementAndGet();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try {
        Thread.sleep(50);
        return delegate.generate(snapshot, proxy);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }
}
