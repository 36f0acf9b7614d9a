package dev.gatehouse.xds.server;

import java.util.Optional;

/**
 * The authenticated workload identity of an xDS caller: the Kubernetes namespace and service account proven by its
 * client certificate (SPIFFE ID) or a service-account token.
 *
 * @param trustDomain the SPIFFE trust domain, or "" when the identity came from a token
 */
public record CallerIdentity(String trustDomain, String namespace, String serviceAccount) {

  /** Parses {@code spiffe://<td>/ns/<ns>/sa/<sa>}; anything else is empty. */
  public static Optional<CallerIdentity> fromSpiffeId(String uri) {
    String prefix = "spiffe://";
    if (uri == null || !uri.startsWith(prefix)) {
      return Optional.empty();
    }
    String rest = uri.substring(prefix.length());
    String[] p = rest.split("/", -1);
    if (p.length != 5 || p[0].isEmpty() || !"ns".equals(p[1]) || p[2].isEmpty() || !"sa".equals(p[3]) || p[4].isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new CallerIdentity(p[0], p[2], p[4]));
  }

  @Override
  public String toString() {
    return (trustDomain.isEmpty() ? "" : "spiffe://" + trustDomain) + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
