package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer;
import io.envoyproxy.controlplane.cache.Resources.ApiVersion;

/**
 * The server's serializer: resources reach it already packed (one shared {@link Any} per resource, from
 * {@link ResourceSerializer}), so it passes them through instead of packing each one again per stream.
 */
final class PreSerializedResources implements ProtoResourcesSerializer {
  @Override
  public Any serialize(Message resource, ApiVersion apiVersion) {
    return resource instanceof Any any ? any : Any.pack(resource);
  }
}
