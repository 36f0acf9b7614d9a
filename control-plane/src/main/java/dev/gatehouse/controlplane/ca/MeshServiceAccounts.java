package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.ServiceAccountDirectory;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import java.util.function.Consumer;

/**
 * File mode's record of which service accounts exist: the latest mesh snapshot the config stream pushed (the same
 * debounced snapshot xDS translates). A service account exists when a ServiceAccount object declares it, or when it
 * is {@code default} in a declared Namespace (Kubernetes creates that one in every namespace). A namespace is known
 * when a Namespace object or a ServiceAccount in it is declared. Before the first push nothing is known and lookups
 * answer {@link Presence#NOT_LOADED}. Thread-safe: the snapshot is immutable and published through a volatile field.
 */
final class MeshServiceAccounts implements ServiceAccountDirectory, Consumer<MeshSnapshot> {
  private static final String DEFAULT_SERVICE_ACCOUNT = "default";
  private volatile MeshSnapshot snapshot;

  @Override
  public void accept(MeshSnapshot next) {
    snapshot = next;
  }

  @Override
  public Presence lookup(String namespace, String serviceAccount) {
    MeshSnapshot current = snapshot;
    return current == null ? Presence.NOT_LOADED : lookup(current, namespace, serviceAccount);
  }

  static Presence lookup(MeshSnapshot mesh, String namespace, String serviceAccount) {
    boolean namespaceDeclared = mesh.namespaces().containsKey(namespace);
    if (mesh.serviceAccounts().containsKey(ObjectKey.of(namespace, serviceAccount))
        || (namespaceDeclared && serviceAccount.equals(DEFAULT_SERVICE_ACCOUNT))) {
      return Presence.PRESENT;
    }
    if (namespaceDeclared || mesh.serviceAccounts().keySet().stream().anyMatch(k -> k.namespace().equals(namespace))) {
      return Presence.SERVICE_ACCOUNT_ABSENT;
    }
    return Presence.NAMESPACE_ABSENT;
  }
}
