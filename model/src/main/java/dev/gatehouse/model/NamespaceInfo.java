package dev.gatehouse.model;

import java.util.Map;

/** A Kubernetes Namespace: its name and labels. */
public record NamespaceInfo(ResourceMeta meta) implements MeshObject {
  public String name() {
    return meta.name();
  }

  public Map<String, String> labels() {
    return meta.labels();
  }
}
