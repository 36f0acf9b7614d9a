package dev.gatehouse.model.parse;

import dev.gatehouse.model.MeshConfig;
import java.util.Map;

/**
 * Turns one Kubernetes object, as a generic map (from YAML, JSON or a fabric8 {@code GenericKubernetesResource}),
 * into a mesh object. Both config sources (files and Kubernetes) use this one parser, so a YAML file and the same
 * object in a cluster always mean the same thing. Pure and thread-safe.
 */
public final class KubernetesObjectParser {
  private final MeshConfig mesh;

  public KubernetesObjectParser(MeshConfig mesh) {
    this.mesh = mesh;
  }

  /**
   * Parses one object.
   *
   * @param object the object as a map: apiVersion, kind, metadata, spec/status...
   * @param source where it came from, for error messages (file path, or "kubernetes")
   */
  public ParseResult parse(Map<String, Object> object, String source) {
    throw new UnsupportedOperationException("TODO: implemented by the foundation work");
  }
}
