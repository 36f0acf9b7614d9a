package dev.gatehouse.controlplane.source;

import dev.gatehouse.model.ObjectKey;
import java.util.Objects;

/**
 * Identity of one object in the config store: Kubernetes kind plus namespace/name. The API version is not part of
 * it: an AuthorizationPolicy read as v1 and as v1beta1 is the same object.
 */
public record MeshObjectId(String kind, ObjectKey key) implements Comparable<MeshObjectId> {
  public MeshObjectId {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
  }

  public static MeshObjectId of(String kind, String namespace, String name) {
    return new MeshObjectId(kind, ObjectKey.of(namespace, name));
  }

  @Override
  public int compareTo(MeshObjectId o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : key.compareTo(o.key);
  }

  @Override
  public String toString() {
    return kind + " " + key;
  }
}
