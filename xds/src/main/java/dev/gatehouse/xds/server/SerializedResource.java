package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.Message;

/**
 * One xDS resource, serialized once and shared by every stream that sends it.
 *
 * @param version content hash of the deterministic serialization; the per-resource version on delta streams
 * @param source the message it was serialized from, for config dumps
 */
public record SerializedResource(String name, Any any, String version, Message source) {
  public int sizeBytes() {
    return any.getValue().size();
  }
}
