package dev.gatehouse.model;

/** A Kubernetes ServiceAccount. */
public record ServiceAccountInfo(ResourceMeta meta) implements MeshObject {
  public String namespace() {
    return meta.namespace();
  }

  public String name() {
    return meta.name();
  }
}
