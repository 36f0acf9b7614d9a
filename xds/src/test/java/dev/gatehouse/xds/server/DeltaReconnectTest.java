package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyResources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Delta ADS streams that reconnect with {@code initial_resource_versions} (what Envoy does after a control-plane
 * restart or a dropped connection): resources the proxy already holds at the current version are not sent again,
 * stale ones are, and names it holds that no longer exist are announced removed. java-control-plane's stream observer
 * ignores {@code initial_resource_versions} (its tracked versions start empty on every stream), so this is Gatehouse's.
 */
class DeltaReconnectTest {
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final String A = "outbound|8080||a.shop.svc.cluster.local";
  private static final String B = "outbound|8081||b.shop.svc.cluster.local";
  private static final String C = "outbound|8082||c.shop.svc.cluster.local";
  private static final String GONE = "outbound|9999||gone.shop.svc.cluster.local";
  private static final Node P1 = RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa");

  private XdsServer xds;
  private Server server;
  private ManagedChannel channel;
  private long version = 1;

  private static MeshSnapshot.Builder base(long v) {
    return mesh(v).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080))
        .service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.12"));
  }

  @BeforeEach
  void start() throws Exception {
    xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(base(version).build())
        .nackBackoff(Duration.ofSeconds(30)).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    xds.services().forEach(b::addService);
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    xds.close();
  }

  @Test
  void reconnectWithEveryVersionCurrentResendsNothingAndTracksWhatTheProxyHolds() throws Exception {
    Map<String, String> held = firstStreamVersions(CDS);
    assertThat(held).containsOnlyKeys(A, B);

    RawAdsClient c = reconnect(CDS, held);
    DeltaDiscoveryResponse first = c.nextDelta();
    assertThat(first.getResourcesList()).isEmpty();
    assertThat(first.getRemovedResourcesList()).isEmpty();
    c.deltaAck(first);
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    // The versions the proxy announced count as held: adding c sends only c, removing b announces b (neither a nor b
    // was ever sent on this stream).
    push(base(++version).service(service("shop", "c", 8082)).build());
    DeltaDiscoveryResponse added = c.nextDelta();
    assertThat(added.getResourcesList()).extracting(Resource::getName).containsExactly(C);
    assertThat(added.getRemovedResourcesList()).isEmpty();
    c.deltaAck(added);

    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "c", 8082))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11")).build());
    DeltaDiscoveryResponse removed = c.nextDelta();
    assertThat(removed.getResourcesList()).isEmpty();
    assertThat(removed.getRemovedResourcesList()).containsExactly(B);
  }

  @Test
  void reconnectWithOneStaleVersionGetsOnlyThatResource() throws Exception {
    Map<String, String> held = new HashMap<>(firstStreamVersions(CDS));
    String current = held.put(B, "stale-version");

    RawAdsClient c = reconnect(CDS, held);
    DeltaDiscoveryResponse r = c.nextDelta();
    assertThat(r.getResourcesList()).extracting(Resource::getName).containsExactly(B);
    assertThat(r.getResources(0).getVersion()).isEqualTo(current);
    assertThat(r.getRemovedResourcesList()).isEmpty();
    c.deltaAck(r);
    assertThat(c.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void reconnectHoldingANameThatNoLongerExistsIsToldItWasRemoved() throws Exception {
    Map<String, String> held = new HashMap<>(firstStreamVersions(CDS));
    held.put(GONE, "some-old-version");

    RawAdsClient c = reconnect(CDS, held);
    DeltaDiscoveryResponse r = c.nextDelta();
    assertThat(r.getResourcesList()).isEmpty();
    assertThat(r.getRemovedResourcesList()).containsExactly(GONE);
    c.deltaAck(r);
    assertThat(c.poll(Duration.ofMillis(300))).isNull();
  }

  @Test
  void namedSubscriptionReconnectSendsOnlyStaleAndRemovesVanishedNames() throws Exception {
    RawAdsClient first = RawAdsClient.delta(channel);
    first.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(A).addResourceNamesSubscribe(B).build());
    Map<String, String> held = new HashMap<>(versions(first.nextDelta()));
    assertThat(held).containsOnlyKeys(A, B);
    first.close();

    held.put(B, "stale-version");
    held.put(GONE, "some-old-version");
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(A).addResourceNamesSubscribe(B).addResourceNamesSubscribe(GONE)
        .putAllInitialResourceVersions(held).build());
    DeltaDiscoveryResponse r = c.nextDelta();
    assertThat(r.getResourcesList()).extracting(Resource::getName).containsExactly(B);
    assertThat(r.getRemovedResourcesList()).containsExactly(GONE);
    c.deltaAck(r);
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    // a's endpoints change: a is sent (it was held from the previous stream, never sent on this one).
    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.14"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.12")).build());
    DeltaDiscoveryResponse changed = c.nextDelta();
    assertThat(changed.getResourcesList()).extracting(Resource::getName).containsExactly(A);
    assertThat(changed.getResources(0).getVersion()).isNotEqualTo(held.get(A));
  }

  @Test
  void unsubscribedThenResubscribedNameIsSentAgain() throws Exception {
    Map<String, String> held = new HashMap<>();
    RawAdsClient first = RawAdsClient.delta(channel);
    first.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(A).build());
    held.putAll(versions(first.nextDelta()));
    first.close();

    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(A).putAllInitialResourceVersions(held).build());
    DeltaDiscoveryResponse nothing = c.nextDelta();
    assertThat(nothing.getResourcesList()).isEmpty();
    c.deltaAck(nothing);

    // A client drops what it unsubscribes from, so a later subscribe must be answered with the resource.
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(EDS).addResourceNamesUnsubscribe(A).build());
    assertThat(c.poll(Duration.ofMillis(200))).isNull();
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(EDS).addResourceNamesSubscribe(A).build());
    DeltaDiscoveryResponse again = c.nextDelta();
    assertThat(again.getResourcesList()).extracting(Resource::getName).containsExactly(A);
  }

  /** Opens a wildcard delta stream, takes the full first response and closes; returns name -> version. */
  private Map<String, String> firstStreamVersions(String type) throws Exception {
    RawAdsClient first = RawAdsClient.delta(channel);
    first.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(type).build());
    DeltaDiscoveryResponse all = first.nextDelta();
    first.deltaAck(all);
    first.close();
    return versions(all);
  }

  private RawAdsClient reconnect(String type, Map<String, String> held) {
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(type)
        .putAllInitialResourceVersions(held).build());
    return c;
  }

  private static Map<String, String> versions(DeltaDiscoveryResponse r) {
    Map<String, String> out = new HashMap<>();
    for (Resource res : r.getResourcesList()) {
      assertThat(res.getVersion()).isNotEmpty();
      out.put(res.getName(), res.getVersion());
    }
    return out;
  }

  private void push(MeshSnapshot s) throws InterruptedException {
    TestMeshes.pushAndAwait(xds, s);
  }
}
