package dev.gatehouse.xds.server;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyIdentity;
import java.util.Optional;

/**
 * Decides whether a stream's caller may receive the config of the proxy its node claims to be. Pure.
 *
 * <p>Istio (pilot/pkg/xds/authentication.go): on the secure port the authenticated identity's namespace must equal the
 * proxy's namespace and, when the node names a service account, so must the service account. Gatehouse also refuses
 * a node that claims a pod the snapshot shows running as another service account, and an identity from a foreign
 * trust domain. The plaintext port is unauthenticated, as istiod's 15010.
 */
public final class StreamAuthorizer {
  private StreamAuthorizer() {}

  /** Empty when allowed; otherwise why not. */
  public static Optional<String> denial(StreamCaller caller, ProxyIdentity claim, MeshSnapshot snapshot) {
    if (!caller.secure()) {
      return Optional.empty();
    }
    if (caller.identity().isEmpty()) {
      return Optional.of("unauthenticated: " + caller.failure());
    }
    CallerIdentity id = caller.identity().get();
    String td = id.trustDomain();
    if (!td.isEmpty() && !td.equals(snapshot.mesh().trustDomain()) && !snapshot.mesh().trustDomainAliases().contains(td)) {
      return Optional.of("caller " + id + " is from trust domain " + td + ", not " + snapshot.mesh().trustDomain());
    }
    if (!id.namespace().equals(claim.namespace())) {
      return Optional.of("caller " + id + " may not receive config for namespace " + claim.namespace());
    }
    if (!claim.serviceAccount().isEmpty() && !claim.serviceAccount().equals(id.serviceAccount())) {
      return Optional.of("caller " + id + " claims service account " + claim.serviceAccount());
    }
    Optional<Workload> pod = snapshot.workload(claim.workload());
    if (pod.isPresent() && !pod.get().serviceAccount().equals(id.serviceAccount())) {
      return Optional.of("caller " + id + " claims pod " + claim.workload() + ", which runs as service account "
          + pod.get().serviceAccount());
    }
    return Optional.empty();
  }

  /** The claim with the authenticated service account filled in, so translation uses what was proven. */
  public static ProxyIdentity withProvenIdentity(StreamCaller caller, ProxyIdentity claim) {
    if (caller.identity().isEmpty()) {
      return claim;
    }
    CallerIdentity id = caller.identity().get();
    return new ProxyIdentity(claim.kind(), claim.workload(), claim.ip(), claim.namespace(), id.serviceAccount(),
        claim.labels());
  }
}
