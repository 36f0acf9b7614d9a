package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.Resources.ApiVersion;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.List;

/**
 * The server's serializer: resources reach it already packed (one shared {@link Any} per resource, from
 * {@link ResourceSerializer}), so it passes them through instead of packing each one again per stream.
 *
 * <p>Delta streams hand it each resource's prebuilt delta {@link Resource} wrapper instead
 * ({@link SerializedResource#delta()}): it returns the packed resource inside and keeps the wrapper for the
 * {@link Server#makeResource} call that java-control-plane makes next, on the same thread, with that packed resource
 * (its delta send maps each entry through {@code serialize} and straight into {@code makeResource}). That call
 * returns the kept wrapper when it is for the same packed instance, name and version, and otherwise builds one as
 * java-control-plane would; so a change in that pairing costs a wrapper per resource again, never a wrong one.
 */
final class PreSerializedResources implements ProtoResourcesSerializer {
  /** One slot per thread, written in place (a {@code ThreadLocal.set} per resource costs a slot scan each time). */
  private static final ThreadLocal<Resource[]> LAST_WRAPPER = ThreadLocal.withInitial(() -> new Resource[1]);

  @Override
  public Any serialize(Message resource, ApiVersion apiVersion) {
    if (resource instanceof Any any) {
      return any;
    }
    if (resource instanceof Resource wrapper) {
      LAST_WRAPPER.get()[0] = wrapper;
      return wrapper.getResource();
    }
    return Any.pack(resource);
  }

  /** The wrapper java-control-plane would build for a delta response, with its size computed. */
  static Resource deltaWrapper(String name, String version, Any resource) {
    Resource r = Resource.newBuilder().setName(name).setVersion(version).setResource(resource).build();
    r.getSerializedSize();
    return r;
  }

  /** java-control-plane's server, building delta wrappers only for resources that come without one. */
  static final class Server extends V3DiscoveryServer {
    Server(List<DiscoveryServerCallbacks> callbacks, ConfigWatcher watcher) {
      super(callbacks, watcher, new DefaultExecutorGroup(), new PreSerializedResources());
    }

    @Override
    protected Resource makeResource(String name, String version, Any resource) {
      Resource[] slot = LAST_WRAPPER.get();
      Resource kept = slot[0];
      if (kept != null) {
        slot[0] = null;
        if (kept.getResource() == resource && kept.getName().equals(name) && kept.getVersion().equals(version)) {
          return kept;
        }
      }
      return deltaWrapper(name, version, resource);
    }
  }
}
