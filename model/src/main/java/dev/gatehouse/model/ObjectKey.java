package dev.gatehouse.model;

import java.util.Objects;

/** A namespaced object's identity within one kind: {@code <namespace>/<name>}. Cluster-scoped objects use "". */
public record ObjectKey(String namespace, String name) implements Comparable<ObjectKey> {
  public ObjectKey {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  public static ObjectKey of(String namespace, String name) {
    return new ObjectKey(namespace == null ? "" : namespace, name);
  }

  @Override
  public int compareTo(ObjectKey o) {
    int c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace.isEmpty() ? name : namespace + "/" + name;
  }
}
