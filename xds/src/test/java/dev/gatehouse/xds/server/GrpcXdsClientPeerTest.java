package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyResources;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.xds.XdsNameResolverProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real grpc-java xDS client (proxyless) against the server over loopback TCP: it resolves
 * {@code backend.shop.svc.cluster.local:8080} through LDS -> RDS -> CDS -> EDS, reaches backend A, and when the
 * snapshot moves the service's endpoints to backend B its calls follow.
 *
 * <p>grpc-java reads its global bootstrap once per JVM; this test uses grpc-java's
 * {@code XdsNameResolverProvider.createForTest(scheme, bootstrap)} under its own scheme instead, so it needs no fork
 * and does not disturb other xDS tests in the same JVM.
 */
class GrpcXdsClientPeerTest {
  private static final String SCHEME = "gatehouse-xds-peer-test";
  private Server backendA;
  private Server backendB;
  private Server xdsGrpc;
  private XdsServer xds;
  private ManagedChannel channel;
  private XdsNameResolverProvider resolver;

  private static Server backend(String name) throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(name, HealthCheckResponse.ServingStatus.SERVING);
    return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(health.getHealthService()).build().start();
  }

  private static MeshSnapshot snapshot(long version, int backendPort) {
    return mesh(version).namespace(namespace("shop"))
        .workload(pod("shop", "client-0", "client-sa", "127.0.0.21", true))
        .service(service("shop", "backend", 8080))
        .endpointSlice(endpoints("shop", "backend", backendPort, "127.0.0.1"))
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    for (Server s : new Server[] {xdsGrpc, backendA, backendB}) {
      if (s != null) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    if (xds != null) {
      xds.close();
    }
  }

  @Test
  void proxylessClientGetsConfigAndFollowsAnEndpointChange() throws Exception {
    backendA = backend("backend-a");
    backendB = backend("backend-b");
    xds = XdsServer.builder(new NamespaceScopedTestGenerator())
        .initialSnapshot(snapshot(1, backendA.getPort())).build();
    // Bind to loopback only.
    xdsGrpc = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0)).addServices(xds.services()).build().start();

    Map<String, Object> bootstrap = Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + xdsGrpc.getPort(),
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of(
            "id", "sidecar~127.0.0.21~client-0.shop~shop.svc.cluster.local",
            "metadata", Map.of("GENERATOR", "grpc", "NAMESPACE", "shop", "SERVICE_ACCOUNT", "client-sa")));
    resolver = XdsNameResolverProvider.createForTest(SCHEME, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder(SCHEME + ":///backend.shop.svc.cluster.local:8080",
        InsecureChannelCredentials.create()).build();

    assertThat(awaitServing("backend-a", Duration.ofSeconds(15))).isTrue();

    ProxySyncStatus proxy = xds.syncStatus().get(0);
    assertThat(proxy.proxyKind()).isEqualTo("PROXYLESS_GRPC");
    assertThat(proxy.workload()).isEqualTo("shop/client-0");
    assertThat(proxy.types()).extracting(TypeSyncStatus::typeUrl).containsExactlyInAnyOrder(
        ProxyResources.LISTENER, ProxyResources.ROUTE, ProxyResources.CLUSTER, ProxyResources.ENDPOINT);
    for (TypeSyncStatus t : proxy.types()) {
      assertThat(t.ackedVersion()).as(t.typeUrl()).isEqualTo(t.sentVersion());
      assertThat(t.nackedVersion()).as(t.typeUrl()).isEmpty();
    }

    xds.onSnapshot(snapshot(2, backendB.getPort()));
    assertThat(awaitServing("backend-b", Duration.ofSeconds(15))).isTrue();
  }

  private boolean awaitServing(String service, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build());
        if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
          return true;
        }
      } catch (StatusRuntimeException e) {
        // not routed there yet (NOT_FOUND from the other backend, or UNAVAILABLE while resolving)
      }
      Thread.sleep(100);
    }
    return false;
  }
}
