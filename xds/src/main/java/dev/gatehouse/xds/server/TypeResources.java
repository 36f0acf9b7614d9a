package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resources of one xDS type for one proxy, by name (sorted), with a version that changes exactly when a resource
 * is added, removed or changed. Immutable.
 */
public record TypeResources(
    String typeUrl, SortedMap<String, SerializedResource> resources, String version, Map<List<String>, Named> named) {

  /** What a state-of-the-world request naming {@code names} gets: those resources and a version covering them. */
  public record Named(List<Any> resources, String version) {}

  static TypeResources of(String typeUrl, SortedMap<String, SerializedResource> resources) {
    ContentHash h = new ContentHash();
    for (Map.Entry<String, SerializedResource> e : resources.entrySet()) {
      h.add(e.getKey()).add(e.getValue().version());
    }
    return new TypeResources(typeUrl, java.util.Collections.unmodifiableSortedMap(resources),
        resources.isEmpty() ? "empty" : h.finish(), new ConcurrentHashMap<>());
  }

  /**
   * The response to a request naming {@code names} (memoized: proxies with the same subscription share it). The
   * version covers exactly the names asked for and the resources sent, so a changed subscription is answered even
   * when no resource changed, and a change to an unrequested resource is not.
   */
  public Named named(List<String> names) {
    Named n = named.get(names);
    if (n != null) {
      return n;
    }
    ContentHash h = new ContentHash().add("named");
    List<Any> out = new ArrayList<>();
    for (String name : new TreeSet<>(names)) {
      SerializedResource r = resources.get(name);
      h.add(name).add(r == null ? "-" : r.version());
      if (r != null) {
        out.add(r.any());
      }
    }
    n = new Named(List.copyOf(out), h.finish());
    if (named.size() < 10_000) {
      named.put(List.copyOf(names), n);
    }
    return n;
  }

  public int sizeBytes() {
    int n = 0;
    for (SerializedResource r : resources.values()) {
      n += r.sizeBytes();
    }
    return n;
  }
}
