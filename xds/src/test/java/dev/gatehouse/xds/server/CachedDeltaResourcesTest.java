package dev.gatehouse.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class CachedDeltaResourcesTest {
  private final CachedDeltaResources server = new CachedDeltaResources(
      List.of(), new NoWatches(), new DefaultExecutorGroup(), new PreSerializedResources());

  private static SerializedResource cluster(String name) {
    return ResourceSerializer.serialize(name, Cluster.newBuilder().setName(name).build());
  }

  @Test
  void theSamePackedResourceGetsOneWrapperEqualToWhatJavaControlPlaneBuilds() {
    SerializedResource c = cluster("outbound|8080||a.ns.svc.cluster.local");

    Resource first = server.makeResource(c.name(), c.version(), c.any());
    Resource second = server.makeResource(c.name(), c.version(), c.any());

    assertThat(second).isSameAs(first);
    Resource expected = Resource.newBuilder().setName(c.name()).setVersion(c.version()).setResource(c.any()).build();
    assertThat(first).isEqualTo(expected);
    assertThat(first.toByteString()).isEqualTo(expected.toByteString());
  }

  @Test
  void anotherNameOrVersionForTheSameBytesGetsItsOwnWrapperAndKeepsTheCachedOne() {
    SerializedResource c = cluster("outbound|8080||a.ns.svc.cluster.local");
    Resource cached = server.makeResource(c.name(), c.version(), c.any());

    Resource renamed = server.makeResource("outbound|8080||b.ns.svc.cluster.local", c.version(), c.any());
    Resource otherVersion = server.makeResource(c.name(), "other", c.any());

    assertThat(renamed.getName()).isEqualTo("outbound|8080||b.ns.svc.cluster.local");
    assertThat(renamed.getResource()).isSameAs(c.any());
    assertThat(otherVersion.getVersion()).isEqualTo("other");
    assertThat(otherVersion.getName()).isEqualTo(c.name());
    assertThat(server.cachedFor(c.any())).isSameAs(cached);
    assertThat(server.makeResource(c.name(), c.version(), c.any())).isSameAs(cached);
  }

  @Test
  void equalButDistinctPackedResourcesAreNotConfused() {
    SerializedResource a = cluster("a");
    SerializedResource alsoA = cluster("a");
    assertThat(alsoA.any()).isEqualTo(a.any()).isNotSameAs(a.any());

    Resource ra = server.makeResource(a.name(), a.version(), a.any());
    Resource rb = server.makeResource(alsoA.name(), alsoA.version(), alsoA.any());

    assertThat(rb).isNotSameAs(ra).isEqualTo(ra);
    assertThat(rb.getResource()).isSameAs(alsoA.any());
  }

  @Test
  void aDeltaResponseSizesAndSerializesTheCachedWrappersLikeFreshOnes() {
    SerializedResource a = cluster("a");
    SerializedResource b = cluster("b");
    server.makeResource(a.name(), a.version(), a.any());
    List<Resource> resources = List.of(
        server.makeResource(a.name(), a.version(), a.any()), server.makeResource(b.name(), b.version(), b.any()));

    var response = server.makeDeltaResponse("type", "v1", "0", resources, List.of("gone"));
    var fresh = server.makeDeltaResponse("type", "v1", "0", List.of(
        CachedDeltaResources.wrap(a.name(), a.version(), Any.pack(Cluster.newBuilder().setName("a").build())),
        CachedDeltaResources.wrap(b.name(), b.version(), Any.pack(Cluster.newBuilder().setName("b").build()))),
        List.of("gone"));

    assertThat(response.getSerializedSize()).isEqualTo(fresh.getSerializedSize());
    assertThat(response.toByteString()).isEqualTo(fresh.toByteString());
  }

  /** The wrapper cache needs no watches; a call would mean the test reached further than it meant to. */
  private static final class NoWatches implements ConfigWatcher {
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
