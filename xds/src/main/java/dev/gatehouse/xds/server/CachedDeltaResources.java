package dev.gatehouse.xds.server;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.ExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.List;

/**
 * java-control-plane's {@link V3DiscoveryServer} with one change: the delta {@link Resource} wrapper (name, version,
 * packed resource) is built once per shared packed resource and reused by every delta response that carries it,
 * instead of once per resource per response. java-control-plane calls {@link #makeResource} with the {@link Any}
 * from {@link PreSerializedResources}, which is the one instance {@link ResourceSerializer} made for that resource, so
 * the cache is keyed by that instance (weak keys: identity, and an entry goes with its resource).
 *
 * <p>The wrapper has its serialized size computed once, so sizing a response does not walk its resources again. Its
 * name and version stay strings (not bytes): the response callbacks read them, and protobuf would turn bytes back into
 * strings on the first read anyway. A cached wrapper is used only when its name and version are the ones asked for: the same
 * packed bytes can be sent under two names, or (in principle) under a different version, and those get a fresh
 * wrapper exactly as java-control-plane would build it. Thread-safe.
 */
final class CachedDeltaResources extends V3DiscoveryServer {
  private final Cache<Any, Resource> wrappers = CacheBuilder.newBuilder().weakKeys().build();

  CachedDeltaResources(
      List<DiscoveryServerCallbacks> callbacks,
      ConfigWatcher configWatcher,
      ExecutorGroup executorGroup,
      ProtoResourcesSerializer serializer) {
    super(callbacks, configWatcher, executorGroup, serializer);
  }

  @Override
  protected Resource makeResource(String name, String version, Any resource) {
    Resource cached = wrappers.getIfPresent(resource);
    if (cached != null && cached.getName().equals(name) && cached.getVersion().equals(version)) {
      return cached;
    }
    Resource made = wrap(name, version, resource);
    if (cached == null) {
      wrappers.put(resource, made);
    }
    return made;
  }

  static Resource wrap(String name, String version, Any resource) {
    Resource r = Resource.newBuilder()
        .setName(name)
        .setVersion(version)
        .setResource(resource)
        .build();
    r.getSerializedSize();
    return r;
  }

  /** The cached wrapper for a packed resource, if any (for tests). */
  Resource cachedFor(Any resource) {
    return wrappers.getIfPresent(resource);
  }

  /** Drops every cached wrapper (for tests). */
  void clear() {
    wrappers.invalidateAll();
  }

}
