package dev.gatehouse.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources.ApiVersion;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.WatchCancelledException;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PreSerializedResourcesTest {
  private final PreSerializedResources serializer = new PreSerializedResources();
  private final PreSerializedResources.Server server = new PreSerializedResources.Server(List.of(), new NoWatches());

  private static SerializedResource cluster(String name) {
    return ResourceSerializer.serialize(name, Cluster.newBuilder().setName(name).build());
  }

  /** What java-control-plane's delta send does for one resource: serialize, then makeResource, on this thread. */
  private Resource send(String name, String version, com.google.protobuf.Message resource) {
    return server.makeResource(name, version, serializer.serialize(resource, ApiVersion.V3));
  }

  @Test
  void aDeltaResponseReusesTheResourcesPrebuiltWrapperWhichEqualsWhatJavaControlPlaneBuilds() {
    SerializedResource c = cluster("outbound|8080||a.ns.svc.cluster.local");

    Resource sent = send(c.name(), c.version(), c.delta());

    assertThat(sent).isSameAs(c.delta());
    Resource expected = Resource.newBuilder().setName(c.name()).setVersion(c.version()).setResource(c.any()).build();
    assertThat(sent).isEqualTo(expected);
    assertThat(sent.toByteString()).isEqualTo(expected.toByteString());
    assertThat(serializer.serialize(c.delta(), ApiVersion.V3)).isSameAs(c.any());
  }

  @Test
  void aWrapperForAnotherNameVersionOrPackedInstanceIsNotReused() {
    SerializedResource c = cluster("a");
    SerializedResource equalBytes = cluster("a");

    Resource renamed = send("b", c.version(), c.delta());
    Resource otherVersion = send(c.name(), "other", c.delta());
    serializer.serialize(c.delta(), ApiVersion.V3);
    Resource otherInstance = server.makeResource(equalBytes.name(), equalBytes.version(), equalBytes.any());

    assertThat(renamed.getName()).isEqualTo("b");
    assertThat(renamed.getResource()).isSameAs(c.any());
    assertThat(otherVersion.getVersion()).isEqualTo("other");
    assertThat(otherInstance).isNotSameAs(c.delta()).isEqualTo(equalBytes.delta());
    assertThat(otherInstance.getResource()).isSameAs(equalBytes.any());
  }

  @Test
  void aKeptWrapperIsUsedOnceAndNeverLeaksToALaterUnpairedCall() {
    SerializedResource a = cluster("a");
    serializer.serialize(a.delta(), ApiVersion.V3);
    assertThat(server.makeResource(a.name(), a.version(), a.any())).isSameAs(a.delta());

    // No serialize call in between: the same packed instance still gets a fresh (equal) wrapper.
    Resource again = server.makeResource(a.name(), a.version(), a.any());
    assertThat(again).isNotSameAs(a.delta()).isEqualTo(a.delta());
  }

  @Test
  void plainMessagesAndPackedOnesPassAsBefore() {
    Cluster plain = Cluster.newBuilder().setName("x").build();
    SerializedResource c = cluster("x");

    assertThat(serializer.serialize(plain, ApiVersion.V3)).isEqualTo(Any.pack(plain));
    assertThat(serializer.serialize(c.any(), ApiVersion.V3)).isSameAs(c.any());
  }

  @Test
  void deltaResponsesOfPrebuiltAndFreshWrappersAreByteForByteEqual() {
    SerializedResource a = cluster("a");
    SerializedResource b = cluster("b");
    List<Resource> prebuilt = List.of(send(a.name(), a.version(), a.delta()), send(b.name(), b.version(), b.delta()));
    List<Resource> fresh = List.of(
        Resource.newBuilder().setName("a").setVersion(a.version()).setResource(a.any()).build(),
        Resource.newBuilder().setName("b").setVersion(b.version()).setResource(b.any()).build());

    var response = server.makeDeltaResponse("type", "v1", "0", prebuilt, List.of("gone"));
    var expected = server.makeDeltaResponse("type", "v1", "0", fresh, List.of("gone"));

    assertThat(response.getSerializedSize()).isEqualTo(expected.getSerializedSize());
    assertThat(response.toByteString()).isEqualTo(expected.toByteString());
  }

  /**
   * The pairing through java-control-plane's own delta send, over a real (in-process) ADS stream: the response it
   * builds carries the prebuilt wrapper itself, and the proxy receives it intact. Fails if a java-control-plane
   * upgrade stops calling makeResource right after serialize on the same thread.
   */
  @Test
  void javaControlPlanesDeltaSendCarriesThePrebuiltWrapper() throws Exception {
    SerializedResource c = cluster("outbound|8080||a.ns.svc.cluster.local");
    BlockingQueue<DeltaDiscoveryResponse> built = new LinkedBlockingQueue<>();
    DiscoveryServerCallbacks capture = new DiscoveryServerCallbacks() {
      @Override
      public void onV3StreamRequest(long streamId, DiscoveryRequest request) {}

      @Override
      public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}

      @Override
      public void onV3StreamDeltaResponse(long id, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
        built.add(response);
      }
    };
    ConfigWatcher oneCluster = new NoWatches() {
      @Override
      public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
          Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
          Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
        DeltaWatch w = new DeltaWatch(request, resourceVersions, pendingResources, requesterVersion, isWildcard,
            responseConsumer);
        if (resourceVersions.isEmpty()) {
          try {
            w.respond(DeltaResponse.create(request,
                Map.of(c.name(), VersionedResource.create(c.delta(), c.version())), List.of(), "v1"));
          } catch (WatchCancelledException e) {
            throw new AssertionError(e);
          }
        }
        return w;
      }
    };
    PreSerializedResources.Server jcp = new PreSerializedResources.Server(List.of(capture), oneCluster);
    String name = InProcessServerBuilder.generateName();
    Server grpc = InProcessServerBuilder.forName(name).addService(jcp.getAggregatedDiscoveryServiceImpl())
        .build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      BlockingQueue<DeltaDiscoveryResponse> received = new LinkedBlockingQueue<>();
      StreamObserver<DeltaDiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
          .deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse r) {
              received.add(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(Resources.V3.CLUSTER_TYPE_URL).build());

      DeltaDiscoveryResponse sent = built.poll(10, TimeUnit.SECONDS);
      DeltaDiscoveryResponse got = received.poll(10, TimeUnit.SECONDS);

      assertThat(sent).isNotNull();
      assertThat(sent.getResources(0)).isSameAs(c.delta());
      assertThat(got).isNotNull();
      assertThat(got.getResourcesList()).containsExactly(c.delta());
      assertThat(got.getResources(0).getResource().unpack(Cluster.class).getName()).isEqualTo(c.name());
      requests.onCompleted();
    } finally {
      channel.shutdownNow();
      grpc.shutdownNow();
    }
  }

  /** The wrapper pairing needs no watches; a call would mean the test reached further than it meant to. */
  private static class NoWatches implements ConfigWatcher {
    @Override
    public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
        Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
      throw new UnsupportedOperationException();
    }

    @Override
    public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
        Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
        Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
      throw new UnsupportedOperationException();
    }
  }
}
