package dev.gatehouse.xds;

import dev.gatehouse.model.ObjectKey;
import java.util.Map;
import java.util.Objects;

/**
 * Who a connected proxy is, as far as translation is concerned: its data-plane kind and the workload (pod) it
 * runs for. Derived from the xDS node id / metadata, and (on the secure port) checked against the caller's
 * authenticated identity before translation ever sees it.
 *
 * @param workload the pod's namespace/name; may name a pod the snapshot does not (yet) have
 * @param ip the pod IP the proxy reported (node id or metadata INSTANCE_IPS); may be empty
 * @param labels labels the node reported; the snapshot's pod labels win when the pod is known
 */
public record ProxyIdentity(
    ProxyKind kind,
    ObjectKey workload,
    String ip,
    String namespace,
    String serviceAccount,
    Map<String, String> labels) {
  public ProxyIdentity {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(workload, "workload");
    ip = ip == null ? "" : ip;
    namespace = namespace == null ? workload.namespace() : namespace;
    serviceAccount = serviceAccount == null ? "" : serviceAccount;
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }
}
