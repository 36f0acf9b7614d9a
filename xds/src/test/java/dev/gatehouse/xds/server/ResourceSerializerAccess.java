package dev.gatehouse.xds.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;

/** The server's deterministic serialization of one message, for byte-for-byte comparisons in tests. */
public final class ResourceSerializerAccess {
  private ResourceSerializerAccess() {}

  public static ByteString bytes(Message m) {
    return ResourceSerializer.serialize("", m).any().getValue();
  }
}
