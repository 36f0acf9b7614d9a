package dev.gatehouse.xds.server;

import static dev.gatehouse.xds.server.TestMeshes.endpoints;
import static dev.gatehouse.xds.server.TestMeshes.mesh;
import static dev.gatehouse.xds.server.TestMeshes.namespace;
import static dev.gatehouse.xds.server.TestMeshes.pod;
import static dev.gatehouse.xds.server.TestMeshes.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.xds.ProxyResources;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link XdsServer#openStreams()}: what a draining replica uses to end its streams one at a time. */
class StreamDrainTest {
  private XdsServer xds;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    xds = XdsServer.builder(new NamespaceScopedTestGenerator()).initialSnapshot(mesh(1).namespace(namespace("shop"))
        .workload(pod("shop", "p1", "shop-sa", "127.0.0.11", false))
        .workload(pod("shop", "p2", "shop-sa", "127.0.0.12", false))
        .service(service("shop", "a", 8080))
        .endpointSlice(endpoints("shop", "a", 8080, "127.0.0.11")).build()).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (ServerServiceDefinition s : xds.services()) {
      b.addService(s);
    }
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
  void endingAStreamClosesItForTheProxyAndForgetsIt() throws Exception {
    RawAdsClient sotw = RawAdsClient.sotw(channel);
    sotw.request(RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa"), ProxyResources.CLUSTER, "", "", List.of());
    sotw.next();
    RawAdsClient delta = RawAdsClient.delta(channel);
    delta.deltaRequest(DeltaDiscoveryRequest.newBuilder()
        .setNode(RawAdsClient.sidecarNode("shop", "p2", "127.0.0.12", "shop-sa")).setTypeUrl(ProxyResources.CLUSTER).build());
    delta.nextDelta();
    assertThat(xds.openStreams()).hasSize(2);
    assertThat(xds.connectedStreams()).isEqualTo(2);

    List<XdsServer.OpenStream> open = xds.openStreams();
    assertThat(open.get(0).end()).isTrue();
    assertThat(open.get(0).end()).as("ending twice").isFalse();
    assertThat(xds.openStreams()).hasSize(1);
    assertThat(open.get(1).end()).isTrue();

    assertThat(sotw.awaitClosed()).isEqualTo(Status.OK);
    assertThat(delta.awaitClosed()).isEqualTo(Status.OK);
    assertThat(xds.openStreams()).isEmpty();
    eventually(() -> xds.connectedStreams() == 0);
  }

  @Test
  void aStreamTheProxyClosedIsNotListed() throws Exception {
    RawAdsClient sotw = RawAdsClient.sotw(channel);
    sotw.request(RawAdsClient.sidecarNode("shop", "p1", "127.0.0.11", "shop-sa"), ProxyResources.CLUSTER, "", "", List.of());
    sotw.next();
    assertThat(xds.openStreams()).hasSize(1);
    sotw.close();
    eventually(() -> xds.openStreams().isEmpty());
    eventually(() -> xds.connectedStreams() == 0);
  }

  private static void eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within 5 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
