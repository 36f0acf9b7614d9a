package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.ProxyResources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Flow control on real loopback gRPC (Netty, HTTP/2 windows): responses go out only while a stream is ready and within
 * the shared response budget; proxies that never read pin a bounded amount and do not hold healthy ones back; a slow
 * reader that finally reads ends with the latest config of every type, ACKs accepted, for SotW and delta.
 */
class FlowControlTest {
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final String LDS = ProxyResources.LISTENER;
  private static final String RDS = ProxyResources.ROUTE;
  private static final List<String> TYPES = List.of(CDS, EDS, LDS, RDS);
  private static final int BIG_SERVICES = 400;
  private static final int STUCK = 12;

  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  private static MeshSnapshot.Builder meshV(long v) {
    MeshSnapshot.Builder b = mesh(v).namespace(namespace("big")).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"));
    for (int i = 0; i < STUCK; i++) {
      b.workload(pod("big", "stuck-" + i, "big-sa", "127.0.2." + (i + 1), false));
    }
    b.workload(pod("big", "slow", "big-sa", "127.0.3.1", false));
    for (int i = 0; i < BIG_SERVICES; i++) {
      // The endpoint address moves with the version, so every snapshot changes EDS (and the policy LDS).
      b.service(service("big", "svc-" + i, 9000))
          .endpointSlice(endpoints("big", "svc-" + i, 9000, "127.0.1." + ((i + v) % 250 + 1)));
    }
    return b;
  }

  private static MeshSnapshot snapshot(long v) {
    MeshSnapshot.Builder b = meshV(v);
    b.authorizationPolicy(TestMeshes.allow("big", "allow-" + v)).authorizationPolicy(TestMeshes.allow("shop", "allow-" + v));
    return b.build();
  }

  private Server serve(XdsServer xds) throws Exception {
    cleanup.add(xds);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addServices(xds.services()).build().start();
    cleanup.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return server;
  }

  private ManagedChannel channel(Server server) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    cleanup.add(c::shutdownNow);
    return c;
  }

  private static long configBytes(XdsServer xds, String pod, String ip) {
    ProxyIdentity id = new ProxyIdentity(ProxyKind.SIDECAR, ObjectKey.of("big", pod), ip, "big", "big-sa", Map.of());
    long n = 0;
    for (TypeResources tr : xds.configFor(id).orElseThrow().types().values()) {
      n += tr.sizeBytes();
    }
    return n;
  }

  @Test
  void proxiesThatNeverReadPinABoundedAmountAndDoNotHoldOthersBack() throws Exception {
    long budget = 128 << 10;
    XdsServer xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(snapshot(1))
        .responseBudget(budget).stallAfter(Duration.ofMillis(500)).build();
    Server server = serve(xds);
    long perProxy = configBytes(xds, "stuck-0", "127.0.2.1");
    assertThat(perProxy).as("a stuck proxy's config is well over the HTTP/2 window and the budget").isGreaterThan(budget);

    List<ClientCall<DiscoveryRequest, DiscoveryResponse>> stuck = new ArrayList<>();
    for (int i = 0; i < STUCK; i++) {
      // A 64 KiB HTTP/2 window (no auto-tuning), so what the proxy does not read backs up into the server.
      ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
          .flowControlWindow(64 << 10).build();
      cleanup.add(c::shutdownNow);
      ClientCall<DiscoveryRequest, DiscoveryResponse> call = c.newCall(
          AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {}, new Metadata());
      Node node = RawAdsClient.sidecarNode("big", "stuck-" + i, "127.0.2." + (i + 1), "big-sa");
      for (String type : TYPES) {
        call.sendMessage(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
      }
      stuck.add(call);
    }
    awaitTrue(() -> xds.connectedStreams() == STUCK);

    RawAdsClient good = RawAdsClient.sotw(channel(server));
    cleanup.add(good);
    Node goodNode = RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa");
    good.request(goodNode, LDS, "", "", List.of());
    DiscoveryResponse last = awaitResponse(good);
    good.ack(last, List.of());
    // Every stuck proxy has had its turn: each got what its window takes, the rest waits, its bytes are written off.
    awaitTrue(() -> xds.streamsWaitingForBudget() == 0 && xds.responseBytesInFlight() == 0
        && xds.stalledResponseBytes() > 0);
    long stalledBefore = xds.stalledResponseBytes();
    long maxInFlight = 0;
    for (long v = 2; v <= 8; v++) {
      xds.onSnapshot(snapshot(v));
      DiscoveryResponse next = awaitResponse(good);
      assertThat(next.getVersionInfo()).as("the healthy proxy is served at v%d", v).isNotEqualTo(last.getVersionInfo());
      good.ack(next, List.of());
      last = next;
      long finalV = v;
      awaitTrue(() -> xds.pushedVersion() == finalV);
      Thread.sleep(600);
      maxInFlight = Math.max(maxInFlight, xds.responseBytesInFlight());
    }
    assertThat(xds.responseBytesInFlightPeak()).as("in flight never beyond the budget plus one response")
        .isLessThanOrEqualTo(budget + perProxy);
    assertThat(maxInFlight).isLessThanOrEqualTo(budget);
    long stalled = xds.stalledResponseBytes();
    assertThat(stalled).as("each stuck proxy pins at most about one response per type").isPositive()
        .isLessThanOrEqualTo(STUCK * (perProxy + (64 << 10)));
    assertThat(stalled).as("more pushes do not grow what stuck proxies pin").isEqualTo(stalledBefore);

    for (ClientCall<DiscoveryRequest, DiscoveryResponse> c : stuck) {
      c.cancel("test over", null);
    }
    awaitTrue(() -> xds.connectedStreams() == 1);
    awaitTrue(() -> xds.stalledResponseBytes() == 0 && xds.responseBytesInFlight() == 0);
  }

  @Test
  void aSlowSotwReaderEndsWithTheLatestOfEveryTypeAndItsAcksCount() throws Exception {
    XdsServer xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(snapshot(1))
        .responseBudget(128 << 10).build();
    Server server = serve(xds);
    Slow<DiscoveryRequest, DiscoveryResponse> slow = new Slow<>(channel(server).newCall(
        AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod(), CallOptions.DEFAULT));
    Node node = RawAdsClient.sidecarNode("big", "slow", "127.0.3.1", "big-sa");
    for (String type : TYPES) {
      slow.call.sendMessage(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
    }
    for (long v = 2; v <= 20; v++) {
      xds.onSnapshot(snapshot(v));
    }
    awaitTrue(() -> xds.pushedVersion() == 20);
    // Now read, one message at a time, ACKing each (as Envoy does), until every type is at the latest version.
    ProxyConfig latest = xds.configFor(identity()).orElseThrow();
    Map<String, String> have = new HashMap<>();
    Map<String, Integer> received = new HashMap<>();
    while (!TYPES.stream().allMatch(t -> latest.type(t).version().equals(have.get(t)))) {
      DiscoveryResponse r = slow.next();
      have.put(r.getTypeUrl(), r.getVersionInfo());
      received.merge(r.getTypeUrl(), 1, Integer::sum);
      slow.call.sendMessage(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
          .setResponseNonce(r.getNonce()).build());
    }
    for (String t : TYPES) {
      assertThat(have.get(t)).isEqualTo(latest.type(t).version());
      // The first answer and at most the latest one after its ACK: superseded versions are not queued.
      assertThat(received.get(t)).as("responses of %s", t).isBetween(1, 2);
    }
    assertThat(slow.poll(Duration.ofMillis(500))).as("nothing more once up to date").isNull();
    awaitTrue(() -> xds.syncStatus().get(0).types().stream()
        .allMatch(ts -> !ts.ackedVersion().isEmpty() && ts.ackedVersion().equals(ts.sentVersion())
            && ts.ackedVersion().equals(latest.type(ts.typeUrl()).version())));
  }

  @Test
  void aSlowDeltaReaderEndsWithExactlyTheLatestResources() throws Exception {
    XdsServer xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(snapshot(1))
        .responseBudget(128 << 10).build();
    Server server = serve(xds);
    Slow<DeltaDiscoveryRequest, DeltaDiscoveryResponse> slow = new Slow<>(channel(server).newCall(
        AggregatedDiscoveryServiceGrpc.getDeltaAggregatedResourcesMethod(), CallOptions.DEFAULT));
    Node node = RawAdsClient.sidecarNode("big", "slow", "127.0.3.1", "big-sa");
    ProxyConfig first = xds.configFor(identity()).orElseThrow();
    for (String type : TYPES) {
      DeltaDiscoveryRequest.Builder r = DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type);
      if (type.equals(EDS) || type.equals(RDS)) {
        // Not wildcard types: subscribe by name, as Envoy does.
        r.addAllResourceNamesSubscribe(first.type(type).resources().keySet());
      }
      slow.call.sendMessage(r.build());
    }
    // Versions 2..20 change endpoints and policies; 21 also drops services, so removals must arrive too.
    for (long v = 2; v <= 20; v++) {
      xds.onSnapshot(snapshot(v));
    }
    MeshSnapshot.Builder fewer = mesh(21).namespace(namespace("big")).namespace(namespace("shop"))
        .workload(pod("big", "slow", "big-sa", "127.0.3.1", false));
    for (int i = 0; i < BIG_SERVICES / 2; i++) {
      fewer.service(service("big", "svc-" + i, 9000))
          .endpointSlice(endpoints("big", "svc-" + i, 9000, "127.0.1." + ((i + 21) % 250 + 1)));
    }
    xds.onSnapshot(fewer.build());
    awaitTrue(() -> xds.pushedVersion() == 21);
    ProxyConfig latest = xds.configFor(identity()).orElseThrow();
    Map<String, Map<String, String>> held = new HashMap<>();
    while (!TYPES.stream().allMatch(t -> versions(latest.type(t)).equals(held.get(t)))) {
      DeltaDiscoveryResponse r = slow.poll(Duration.ofSeconds(10));
      if (r == null) {
        for (String t : TYPES) {
          Map<String, String> h = held.getOrDefault(t, Map.of());
          Map<String, String> want = versions(latest.type(t));
          assertThat(h).as("what the proxy holds of %s when nothing more comes (%s)", t, xds.syncStatus()).isEqualTo(want);
        }
      }
      Map<String, String> h = held.computeIfAbsent(r.getTypeUrl(), k -> new HashMap<>());
      for (Resource res : r.getResourcesList()) {
        h.put(res.getName(), res.getVersion());
      }
      for (String name : r.getRemovedResourcesList()) {
        h.remove(name);
      }
      slow.call.sendMessage(DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl())
          .setResponseNonce(r.getNonce()).build());
    }
    assertThat(slow.poll(Duration.ofMillis(500))).as("nothing more once up to date").isNull();
    for (String t : TYPES) {
      assertThat(held.get(t)).as("what the proxy holds of %s", t).isEqualTo(versions(latest.type(t)));
    }
    awaitTrue(() -> xds.syncStatus().get(0).types().stream()
        .allMatch(ts -> !ts.ackedVersion().isEmpty() && ts.ackedVersion().equals(ts.sentVersion())));
  }

  private static Map<String, String> versions(TypeResources tr) {
    Map<String, String> m = new HashMap<>();
    for (SerializedResource r : tr.resources().values()) {
      m.put(r.name(), r.version());
    }
    return m;
  }

  private static ProxyIdentity identity() {
    return new ProxyIdentity(ProxyKind.SIDECAR, ObjectKey.of("big", "slow"), "127.0.3.1", "big", "big-sa", Map.of());
  }

  private static DiscoveryResponse awaitResponse(RawAdsClient c) throws InterruptedException {
    Object o = c.poll(Duration.ofSeconds(30));
    assertThat(o).isInstanceOf(DiscoveryResponse.class);
    return (DiscoveryResponse) o;
  }

  /** A client call that reads only when asked to (one message per {@link #next}). */
  private final class Slow<Q, R> {
    final ClientCall<Q, R> call;
    final BlockingQueue<R> in = new LinkedBlockingQueue<>();

    Slow(ClientCall<Q, R> call) {
      this.call = call;
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(R message) {
          in.add(message);
        }
      }, new Metadata());
      cleanup.add(() -> call.cancel("test over", null));
    }

    R next() throws InterruptedException {
      call.request(1);
      R r = in.poll(30, TimeUnit.SECONDS);
      assertThat(r).as("a response within 30 s").isNotNull();
      return r;
    }

    R poll(Duration d) throws InterruptedException {
      call.request(1);
      return in.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static void awaitTrue(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 30 s");
      }
      Thread.sleep(10);
    }
  }
}
