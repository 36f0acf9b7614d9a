package dev.gatehouse.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An Istio resource that did not parse. It is kept in the snapshot so translation can fail closed for the
 * workloads it would have selected: a broken ALLOW still counts as an ALLOW that matches nothing, a broken DENY
 * denies everything, a broken RequestAuthentication rejects every token.
 *
 * @param selector the {@code spec.selector.matchLabels} (for a DestinationRule, {@code spec.workloadSelector}) if
 *     they could still be read; an empty map when the spec has no selector (the policy covers its namespace, or
 *     names targetRefs); empty Optional when the selector itself is unreadable (the policy then applies to its
 *     whole namespace, which is the closed side)
 * @param action for AuthorizationPolicy, the raw {@code spec.action} if readable ("ALLOW" when absent, as
 *     Istio defaults it); unknown or unreadable actions are treated as DENY by the translator
 * @param reason why it did not parse, for logs, status and analysis
 */
public record InvalidPolicy(
    PolicyKind kind,
    ResourceMeta meta,
    Optional<Map<String, String>> selector,
    String action,
    String reason) implements MeshObject {
  public InvalidPolicy {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(reason, "reason");
    selector = selector == null ? Optional.empty() : selector.map(Map::copyOf);
    action = action == null ? "" : action;
  }

  public ObjectKey key() {
    return meta.key();
  }
}
