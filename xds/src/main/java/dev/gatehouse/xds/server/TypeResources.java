package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.VersionedResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    String typeUrl,
    SortedMap<String, SerializedResource> resources,
    String version,
    Map<List<String>, Named> named,
    Whole whole) {

  /** What a state-of-the-world request naming {@code names} gets: those resources and a version covering them. */
  public record Named(List<Any> resources, String version) {}

  static TypeResources of(String typeUrl, SortedMap<String, SerializedResource> resources) {
    ContentHash h = new ContentHash();
    for (Map.Entry<String, SerializedResource> e : resources.entrySet()) {
      h.add(e.getKey()).add(e.getValue().version());
    }
    return new TypeResources(typeUrl, java.util.Collections.unmodifiableSortedMap(resources),
        resources.isEmpty() ? "empty" : h.finish(), new ConcurrentHashMap<>(), new Whole());
  }

  /** Every resource, packed, in name order: a wildcard state-of-the-world answer (built once, shared). */
  public List<Any> allPacked() {
    List<Any> all = whole.packed;
    if (all == null) {
      List<Any> out = new ArrayList<>(resources.size());
      for (SerializedResource r : resources.values()) {
        out.add(r.any());
      }
      all = whole.packed = java.util.Collections.unmodifiableList(out);
    }
    return all;
  }

  /**
   * Every resource with its delta wrapper and version, in name order: the delta answer to a proxy that holds nothing
   * yet and asks for all of them (built once, shared by every such proxy).
   */
  public Map<String, VersionedResource<?>> allVersioned() {
    Map<String, VersionedResource<?>> all = whole.versioned;
    if (all == null) {
      Map<String, VersionedResource<?>> out = new LinkedHashMap<>();
      for (SerializedResource r : resources.values()) {
        out.put(r.name(), VersionedResource.create(r.delta(), r.version()));
      }
      all = whole.versioned = java.util.Collections.unmodifiableMap(out);
    }
    return all;
  }

  /**
   * The two whole-type answers, built on first use. A race builds one twice, equal; both fields are volatile so a
   * reader sees a fully built collection.
   */
  static final class Whole {
    private volatile List<Any> packed;
    private volatile Map<String, VersionedResource<?>> versioned;
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
