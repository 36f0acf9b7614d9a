package dev.gatehouse.xds.server;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.gatehouse.xds.ProtoBytes;
import dev.gatehouse.xds.ProxyResources;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;

/**
 * Turns {@link ProxyResources} into {@link ProxyConfig}, serializing each message once. Both caches are keyed by
 * object identity with weak keys (Guava's {@code weakKeys()}), so a translator that shares message instances between
 * proxies and between snapshots gets each one serialized exactly once, and entries vanish with the messages.
 * Serialization is deterministic (map fields sorted) so that the content hash is a stable version. Thread-safe.
 */
public final class ResourceSerializer {
  private final Cache<Message, SerializedResource> messages = CacheBuilder.newBuilder().weakKeys().build();
  private final Cache<ProxyResources, ProxyConfig> configs = CacheBuilder.newBuilder().weakKeys().build();

  public ProxyConfig config(ProxyResources resources) {
    try {
      return configs.get(resources, () -> build(resources));
    } catch (ExecutionException e) {
      throw new IllegalStateException("serializing xDS resources failed", e.getCause());
    }
  }

  private ProxyConfig build(ProxyResources resources) throws ExecutionException {
    Map<String, TypeResources> types = new java.util.HashMap<>();
    for (Map.Entry<String, Map<String, Message>> byType : resources.resourcesByType().entrySet()) {
      SortedMap<String, SerializedResource> out = new TreeMap<>();
      for (Map.Entry<String, Message> r : byType.getValue().entrySet()) {
        Message m = r.getValue();
        SerializedResource s = messages.get(m, () -> serialize(r.getKey(), m));
        if (!s.name().equals(r.getKey())) {
          s = new SerializedResource(r.getKey(), s.any(), s.version(), m);
        }
        out.put(r.getKey(), s);
      }
      types.put(byType.getKey(), TypeResources.of(byType.getKey(), out));
    }
    return new ProxyConfig(types, resources.errors(), resources, true);
  }

  static SerializedResource serialize(String name, Message m) {
    ByteString bytes = ProtoBytes.deterministic(m);
    Any any = ProtoBytes.any(m.getDescriptorForType(), bytes);
    return new SerializedResource(name, any, ContentHash.of(bytes), m);
  }
}
