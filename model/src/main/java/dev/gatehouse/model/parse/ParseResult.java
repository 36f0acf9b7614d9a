package dev.gatehouse.model.parse;

import dev.gatehouse.model.ObjectKey;

/** The outcome of parsing one Kubernetes object: a mesh object, an object to ignore, or an error. */
public sealed interface ParseResult {

  /**
   * A parsed object: one of the model records ({@code NamespaceInfo}, {@code Workload}, {@code ServiceInfo},
   * {@code EndpointSliceInfo}, {@code ServiceAccountInfo}), a {@code Policy}, or an {@code InvalidPolicy} (an Istio
   * resource whose metadata is readable but whose spec is not: kept so translation can fail closed).
   *
   * @param kind the Kubernetes kind, e.g. "Pod" or "AuthorizationPolicy"
   */
  record Parsed(String kind, ObjectKey key, Object value) implements ParseResult {}

  /** An object Gatehouse does not read (e.g. a Deployment or ConfigMap in the same file). Not an error. */
  record Ignored(String kind, String reason) implements ParseResult {}

  /** Input that cannot be used at all (no kind, no name, not a map, unknown kind in a known group...). */
  record Failed(String source, String reason) implements ParseResult {}
}
