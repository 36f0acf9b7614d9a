package dev.gatehouse.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes object metadata Gatehouse keeps for every object. {@code creationTimestamp} orders policies
 * (Istio: within one scope the oldest wins); {@code source} says where the object came from (a file path or
 * "kubernetes") so that errors can name it.
 */
public record ResourceMeta(
    String apiVersion,
    String kind,
    String namespace,
    String name,
    Instant creationTimestamp,
    String resourceVersion,
    Map<String, String> labels,
    Map<String, String> annotations,
    String source) {

  public ResourceMeta {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    apiVersion = apiVersion == null ? "" : apiVersion;
    namespace = namespace == null ? "" : namespace;
    creationTimestamp = creationTimestamp == null ? Instant.EPOCH : creationTimestamp;
    resourceVersion = resourceVersion == null ? "" : resourceVersion;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    source = source == null ? "" : source;
  }

  public static ResourceMeta of(String kind, String namespace, String name) {
    return new ResourceMeta("", kind, namespace, name, Instant.EPOCH, "", Map.of(), Map.of(), "");
  }

  public ObjectKey key() {
    return ObjectKey.of(namespace, name);
  }

  /** "Kind ns/name" for logs and error messages. */
  public String describe() {
    return kind + " " + key() + (source.isEmpty() ? "" : " (from " + source + ")");
  }
}
