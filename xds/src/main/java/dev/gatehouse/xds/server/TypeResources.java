package dev.gatehouse.xds.server;

import java.util.Map;
import java.util.SortedMap;

/**
 * The resources of one xDS type for one proxy, by name (sorted), with a version that changes exactly when a resource
 * is added, removed or changed. Immutable.
 */
public record TypeResources(String typeUrl, SortedMap<String, SerializedResource> resources, String version) {

  static TypeResources of(String typeUrl, SortedMap<String, SerializedResource> resources) {
    ContentHash h = new ContentHash();
    for (Map.Entry<String, SerializedResource> e : resources.entrySet()) {
      h.add(e.getKey()).add(e.getValue().version());
    }
    return new TypeResources(
        typeUrl, java.util.Collections.unmodifiableSortedMap(resources), resources.isEmpty() ? "empty" : h.finish());
  }

  public int sizeBytes() {
    int n = 0;
    for (SerializedResource r : resources.values()) {
      n += r.sizeBytes();
    }
    return n;
  }
}
