package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.Resource;

/**
 * One xDS resource, serialized once and shared by every stream that sends it.
 *
 * @param version content hash of the deterministic serialization; the per-resource version on delta streams
 * @param source the message it was serialized from, for config dumps
 * @param delta the delta-xDS wrapper (name, version, packed resource), built once and its size computed, so that
 *     every delta response carrying this resource reuses it ({@link PreSerializedResources})
 */
public record SerializedResource(String name, Any any, String version, Message source, Resource delta) {
  public SerializedResource(String name, Any any, String version, Message source) {
    this(name, any, version, source, PreSerializedResources.deltaWrapper(name, version, any));
  }

  public int sizeBytes() {
    return any.getValue().size();
  }
}
