package dev.gatehouse.model;

import com.google.protobuf.Message;
import java.util.Objects;

/**
 * An Istio resource whose spec parsed: metadata plus the typed spec.
 *
 * @param <T> the spec message (e.g. {@code AuthorizationPolicy})
 */
public record Policy<T extends Message>(PolicyKind kind, ResourceMeta meta, T spec) implements MeshObject {
  public Policy {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(spec, "spec");
  }

  public String namespace() {
    return meta.namespace();
  }

  public String name() {
    return meta.name();
  }

  public ObjectKey key() {
    return meta.key();
  }
}
