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
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ADS wire behaviour, over in-process gRPC with raw streams: versions, nonces, ACK/NACK, delta, identity. */
class AdsProtocolTest {
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final String LDS = ProxyResources.LISTENER;
  private static final String CLUSTER_A = "outbound|8080||a.shop.svc.cluster.local";
  private static final String CLUSTER_B = "outbound|8081||b.shop.svc.cluster.local";
  private static final Node P1 = RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa");

  private final NamespaceScopedTestGenerator generator = new NamespaceScopedTestGenerator();
  private XdsServer xds;
  private Server server;
  private ManagedChannel channel;
  private long version = 1;

  private static MeshSnapshot.Builder base(long v) {
    return mesh(v).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .workload(pod("shop", "p2", "shop-sa", "127.0.0.12", false))
        .service(service("shop", "a", 8080))
        .service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.12"));
  }

  private void start(Duration backoff, Optional<StreamCaller> caller) throws Exception {
    xds = XdsServer.builder(generator).initialSnapshot(base(version).build()).nackBackoff(backoff).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (ServerServiceDefinition s : xds.services()) {
      b.addService(caller.isPresent() ? ServerInterceptors.intercept(s, fixedCaller(caller.get())) : s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** Stands in for the TLS transport's proven identity (the interceptor keeps a caller already in the Context). */
  private static ServerInterceptor fixedCaller(StreamCaller caller) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(XdsCallerInterceptor.CALLER, caller), call, h, next);
      }
    };
  }

  private void push(MeshSnapshot s) throws InterruptedException {
    TestMeshes.pushAndAwait(xds, s);
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (xds != null) {
      xds.close();
    }
  }

  @Test
  void ackedConfigIsNotSentAgainUntilItChanges() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    DiscoveryResponse first = c.next();
    assertThat(first.getResourcesCount()).isEqualTo(2);
    assertThat(first.getVersionInfo()).isNotEmpty();
    c.ack(first, List.of());
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    push(base(++version).service(service("shop", "c", 8082)).build());
    DiscoveryResponse second = c.next();
    assertThat(second.getResourcesCount()).isEqualTo(3);
    assertThat(second.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    assertThat(second.getNonce()).isNotEqualTo(first.getNonce());
  }

  @Test
  void nackedVersionIsNotResentWithinBackoffButAConfigChangeSupersedesIt() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    DiscoveryResponse bad = c.next();
    c.nack(bad, "", List.of(), "cluster outbound|8080||a: unsupported lb policy");
    // java-control-plane's SimpleCache would answer this NACK at once with the same version, in a loop.
    assertThat(c.poll(Duration.ofMillis(700))).isNull();

    TypeSyncStatus cds = type(xds.syncStatus().get(0), CDS);
    assertThat(cds.nackedVersion()).isEqualTo(bad.getVersionInfo());
    assertThat(cds.nackError()).contains("unsupported lb policy");
    assertThat(cds.ackedVersion()).isEmpty();

    push(base(++version).service(service("shop", "c", 8082)).build());
    DiscoveryResponse fixed = c.next();
    assertThat(fixed.getVersionInfo()).isNotEqualTo(bad.getVersionInfo());
    c.ack(fixed, List.of());
    assertThat(c.poll(Duration.ofMillis(200))).isNull();
    assertThat(type(xds.syncStatus().get(0), CDS).ackedVersion()).isEqualTo(fixed.getVersionInfo());
  }

  @Test
  void nackedVersionIsSentOnceMoreAfterTheBackoff() throws Exception {
    start(Duration.ofMillis(1200), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    DiscoveryResponse bad = c.next();
    long nackedAt = System.nanoTime();
    c.nack(bad, "", List.of(), "bad cluster");
    DiscoveryResponse again = c.next();
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nackedAt);
    assertThat(again.getVersionInfo()).isEqualTo(bad.getVersionInfo());
    assertThat(waitedMs).isGreaterThanOrEqualTo(1100);
  }

  @Test
  void nackFollowedByAFixedTranslationConverges() throws Exception {
    generator.brokenClusters = java.util.Set.of(CLUSTER_A);
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    DiscoveryResponse bad = c.next();
    c.nack(bad, "", List.of(), "LB policy 99 unknown");
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    generator.brokenClusters = java.util.Set.of();
    push(base(++version).build());
    DiscoveryResponse good = c.next();
    assertThat(good.getVersionInfo()).isNotEqualTo(bad.getVersionInfo());
    c.ack(good, List.of());
    TypeSyncStatus cds = awaitAcked(CDS, good.getVersionInfo());
    assertThat(cds.currentVersion()).isEqualTo(good.getVersionInfo());
    assertThat(cds.nackedVersion()).isEqualTo(bad.getVersionInfo());
  }

  @Test
  void namedEndpointRequestsGetOnlyWhatTheyNameAndOnlyTheirChanges() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, EDS, "", "", List.of(CLUSTER_A));
    DiscoveryResponse r = c.next();
    assertThat(r.getResourcesCount()).isEqualTo(1);
    assertThat(r.getResources(0).unpack(ClusterLoadAssignment.class).getClusterName()).isEqualTo(CLUSTER_A);
    c.ack(r, List.of(CLUSTER_A));

    // b's endpoints change: nothing for a subscriber of a only.
    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.13")).build());
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    // a's endpoints change: a new response with a's new endpoint.
    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.14"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.13")).build());
    DiscoveryResponse changed = c.next();
    ClusterLoadAssignment cla = changed.getResources(0).unpack(ClusterLoadAssignment.class);
    assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress())
        .isEqualTo("127.0.0.14");

    // Subscribing to one more name is answered although no content changed.
    c.request(null, EDS, changed.getVersionInfo(), changed.getNonce(), List.of(CLUSTER_A, CLUSTER_B));
    assertThat(c.next().getResourcesCount()).isEqualTo(2);
  }

  @Test
  void reconnectingProxyGetsCurrentConfigAtOnceEvenWithAStaleVersion() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient first = RawAdsClient.sotw(channel);
    first.request(P1, CDS, "", "", List.of());
    DiscoveryResponse v1 = first.next();
    first.ack(v1, List.of());
    first.close();
    await(() -> xds.connectedStreams() == 0);

    push(base(++version).service(service("shop", "c", 8082)).build());
    RawAdsClient stale = RawAdsClient.sotw(channel);
    stale.request(P1, CDS, v1.getVersionInfo(), "", List.of());
    DiscoveryResponse v2 = stale.next();
    assertThat(v2.getVersionInfo()).isNotEqualTo(v1.getVersionInfo());
    assertThat(v2.getResourcesCount()).isEqualTo(3);

    // Reconnecting with the current version is answered too: a new stream always gets its config.
    RawAdsClient current = RawAdsClient.sotw(channel);
    current.request(P1, CDS, v2.getVersionInfo(), "", List.of());
    assertThat(current.next().getVersionInfo()).isEqualTo(v2.getVersionInfo());
  }

  @Test
  void unknownPodGetsNoListenersUntilItAppears() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    Node newcomer = RawAdsClient.sidecarNode("shop", "p9", "127.0.0.19", "shop-sa");
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(newcomer, LDS, "", "", List.of());
    DiscoveryResponse none = c.next();
    assertThat(none.getResourcesCount()).isZero();
    c.ack(none, List.of());
    assertThat(xds.syncStatus().get(0).workloadKnown()).isFalse();

    push(base(++version).workload(pod("shop", "p9", "shop-sa", "127.0.0.19", false)).build());
    DiscoveryResponse some = c.next();
    assertThat(some.getResourcesCount()).isEqualTo(3); // two client listeners and virtualInbound
    assertThat(xds.syncStatus().get(0).workloadKnown()).isTrue();
  }

  @Test
  void deltaSendsOnlyChangedResourcesAndAnnouncesRemovals() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(CDS).build());
    DeltaDiscoveryResponse all = c.nextDelta();
    assertThat(all.getResourcesList()).extracting(Resource::getName).containsExactlyInAnyOrder(
        CLUSTER_A, CLUSTER_B);
    assertThat(all.getResources(0).getVersion()).isNotEmpty();
    c.deltaAck(all);
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    // Add c: only c is sent.
    push(base(++version).service(service("shop", "c", 8082)).build());
    DeltaDiscoveryResponse added = c.nextDelta();
    assertThat(added.getResourcesList()).extracting(Resource::getName)
        .containsExactly("outbound|8082||c.shop.svc.cluster.local");
    assertThat(added.getRemovedResourcesList()).isEmpty();
    c.deltaAck(added);

    // Remove b: announced as removed, nothing re-sent.
    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "c", 8082))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11")).build());
    DeltaDiscoveryResponse removed = c.nextDelta();
    assertThat(removed.getResourcesList()).isEmpty();
    assertThat(removed.getRemovedResourcesList()).containsExactly(CLUSTER_B);
  }

  @Test
  void deltaSubscribeAndUnsubscribeNamedEndpoints() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(
        DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS).addResourceNamesSubscribe(CLUSTER_A).build());
    DeltaDiscoveryResponse r1 = c.nextDelta();
    assertThat(r1.getResourcesList()).extracting(Resource::getName).containsExactly(CLUSTER_A);
    c.deltaAck(r1);

    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(EDS).addResourceNamesSubscribe(CLUSTER_B).build());
    DeltaDiscoveryResponse r2 = c.nextDelta();
    assertThat(r2.getResourcesList()).extracting(Resource::getName).containsExactly(CLUSTER_B);
    c.deltaAck(r2);

    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setTypeUrl(EDS).addResourceNamesUnsubscribe(CLUSTER_A).build());
    assertThat(c.poll(Duration.ofMillis(200))).isNull();
    // a changes after the unsubscribe: nothing is sent.
    push(mesh(++version).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .service(service("shop", "a", 8080)).service(service("shop", "b", 8081))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.15"))
        .endpointSlice(endpoints("shop", "b", 8081, "127.0.0.12")).build());
    assertThat(c.poll(Duration.ofMillis(300))).isNull();
  }

  /**
   * A first request naming every resource of the type gets the shared whole-type answer; one naming as many names,
   * but not the same ones, must still get only what it names (and nothing for the unknown name).
   */
  @Test
  void deltaFirstRequestGetsExactlyWhatItNamesWhetherAllOrAsManyOthers() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient all = RawAdsClient.delta(channel);
    all.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(CLUSTER_B).addResourceNamesSubscribe(CLUSTER_A).build());
    DeltaDiscoveryResponse both = all.nextDelta();
    assertThat(both.getResourcesList()).extracting(Resource::getName).containsExactly(CLUSTER_A, CLUSTER_B);
    assertThat(both.getRemovedResourcesList()).isEmpty();

    RawAdsClient other = RawAdsClient.delta(channel);
    other.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(EDS)
        .addResourceNamesSubscribe(CLUSTER_A)
        .addResourceNamesSubscribe("outbound|9999||nope.shop.svc.cluster.local").build());
    DeltaDiscoveryResponse onlyA = other.nextDelta();
    assertThat(onlyA.getResourcesList()).extracting(Resource::getName).containsExactly(CLUSTER_A);
    assertThat(onlyA.getRemovedResourcesList()).isEmpty();
    assertThat(onlyA.getResources(0)).isEqualTo(both.getResources(0));
  }

  @Test
  void deltaNackIsNotAnsweredWithTheSameResources() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(CDS).build());
    DeltaDiscoveryResponse bad = c.nextDelta();
    c.deltaNack(bad, "rejected");
    assertThat(c.poll(Duration.ofMillis(700))).isNull();
    assertThat(type(xds.syncStatus().get(0), CDS).nackedVersion()).isEqualTo(bad.getSystemVersionInfo());
  }

  @Test
  void nackNamesTheRefusedResourceAndMarksTheProxyStuckUntilItAcks() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    DiscoveryResponse bad = c.next();
    // gRPC C-core's wording: the index and name of the resource it refused.
    c.nack(bad, "", List.of(), "errors validating xDS resource index 1: outbound|8081||b.shop.svc.cluster.local:"
        + " field:lb_policy error:unknown");
    assertThat(c.poll(Duration.ofMillis(300))).isNull();

    ProxySyncStatus p = xds.syncStatus().get(0);
    TypeSyncStatus cds = type(p, CDS);
    assertThat(cds.nackedResources()).containsExactly(CLUSTER_B);
    assertThat(cds.nackCode()).isEqualTo("InvalidArgument");
    assertThat(cds.rejecting()).isTrue();
    assertThat(p.stuckOnNack()).isTrue();
    assertThat(p.lastNack().version()).isEqualTo(bad.getVersionInfo());
    assertThat(p.lastNack().resources()).containsExactly(CLUSTER_B);
    assertThat(xds.rejectingStreams(CDS)).isEqualTo(1);
    assertThat(xds.rejectingStreams(LDS)).isZero();
    assertThat(xds.stuckOnNack(10).count()).isEqualTo(1);

    push(base(++version).service(service("shop", "c", 8082)).build());
    DiscoveryResponse fixed = c.next();
    c.ack(fixed, List.of());
    TypeSyncStatus after = awaitAcked(CDS, fixed.getVersionInfo());
    assertThat(after.rejecting()).isFalse();
    // The last NACK stays visible for /debug/syncz after the ACK.
    assertThat(after.nackedVersion()).isEqualTo(bad.getVersionInfo());
    assertThat(xds.syncStatus().get(0).stuckOnNack()).isFalse();
    assertThat(xds.stuckOnNack(10).count()).isZero();
  }

  @Test
  void nackThatNamesNoResourceBlamesTheWholeResponse() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.delta(channel);
    c.deltaRequest(DeltaDiscoveryRequest.newBuilder().setNode(P1).setTypeUrl(CDS).build());
    DeltaDiscoveryResponse bad = c.nextDelta();
    c.deltaNack(bad, "rejected");
    assertThat(c.poll(Duration.ofMillis(300))).isNull();
    TypeSyncStatus cds = type(xds.syncStatus().get(0), CDS);
    assertThat(cds.nackedResources())
        .containsExactly(CLUSTER_A, CLUSTER_B);
    assertThat(cds.rejecting()).isTrue();
  }

  @Test
  void nodeClaimingAnotherNamespaceIsRefusedOnTheSecurePort() throws Exception {
    start(Duration.ofSeconds(30),
        Optional.of(StreamCaller.authenticated(new CallerIdentity("cluster.local", "other", "other-sa"))));
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(P1, CDS, "", "", List.of());
    Status s = c.awaitClosed();
    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).contains("namespace shop");
  }

  @Test
  void nodeClaimingAnotherServiceAccountsPodIsRefused() throws Exception {
    start(Duration.ofSeconds(30),
        Optional.of(StreamCaller.authenticated(new CallerIdentity("cluster.local", "shop", "intruder"))));
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", ""), CDS, "", "", List.of());
    assertThat(c.awaitClosed().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void matchingIdentityIsServedAndUnauthenticatedSecureCallerIsRefused() throws Exception {
    start(Duration.ofSeconds(30),
        Optional.of(StreamCaller.authenticated(new CallerIdentity("cluster.local", "shop", "shop-sa"))));
    RawAdsClient ok = RawAdsClient.sotw(channel);
    ok.request(P1, CDS, "", "", List.of());
    assertThat(ok.next().getResourcesCount()).isEqualTo(2);
    assertThat(xds.syncStatus().get(0).caller()).isEqualTo("spiffe://cluster.local/ns/shop/sa/shop-sa");
    stop();

    start(Duration.ofSeconds(30), Optional.of(StreamCaller.unauthenticated("no client certificate")));
    RawAdsClient anon = RawAdsClient.sotw(channel);
    anon.request(P1, CDS, "", "", List.of());
    assertThat(anon.awaitClosed().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void proxiesOfOneNamespaceShareOneTranslationPerSnapshot() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    List<RawAdsClient> clients = new java.util.ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      RawAdsClient c = RawAdsClient.sotw(channel);
      c.request(RawAdsClient.sidecarNode("shop", "p" + i, "127.0.0.1" + i, "shop-sa"), LDS, "", "", List.of());
      c.ack(c.next(), List.of());
      clients.add(c);
    }
    int before = generator.translations.get();
    push(base(++version).authorizationPolicy(TestMeshes.allow("shop", "allow-frontend")).build());
    for (RawAdsClient c : clients) {
      DiscoveryResponse r = c.next();
      assertThat(r.getResourcesCount()).isEqualTo(3);
    }
    assertThat(generator.translations.get() - before).isEqualTo(1);
  }

  @Test
  void streamWithoutNodeIsRefused() throws Exception {
    start(Duration.ofSeconds(30), Optional.empty());
    RawAdsClient c = RawAdsClient.sotw(channel);
    c.request(null, CDS, "", "", List.of());
    assertThat(c.awaitClosed().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  private TypeSyncStatus awaitAcked(String type, String version) throws InterruptedException {
    await(() -> type(xds.syncStatus().get(0), type).ackedVersion().equals(version));
    return type(xds.syncStatus().get(0), type);
  }

  private static TypeSyncStatus type(ProxySyncStatus p, String typeUrl) {
    return p.types().stream().filter(t -> t.typeUrl().equals(typeUrl)).findFirst().orElseThrow();
  }

  private static void await(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 5 s");
      }
      Thread.sleep(10);
    }
  }
}
