package dev.gatehouse.model;

/** A Kubernetes ServiceAccount. */
public record ServiceAccountInfo(ResourceMeta meta) {
  public String namespace() {
    return meta.namespace();
  }

  public String name() {
    return meta.name();
  }
}
