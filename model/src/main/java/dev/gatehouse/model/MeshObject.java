package dev.gatehouse.model;

/**
 * Any object a snapshot holds: a Kubernetes object Gatehouse reads, a parsed Istio {@link Policy}, or an
 * {@link InvalidPolicy}. Every one has its Kubernetes metadata, so sources and logs can name it uniformly.
 */
public interface MeshObject {
  ResourceMeta meta();
}
