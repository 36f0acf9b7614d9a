package dev.gatehouse.xds;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import dev.gatehouse.api.istio.networking.v1alpha3.TrafficPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ServiceInfo;
import java.util.List;
import java.util.Optional;

/**
 * Which DestinationRule applies to a service for a client in a given namespace, Istio's lookup order: a rule in the
 * client's namespace, then in the service's namespace, then in the root namespace; within a namespace an exact host
 * beats a wildcard and the oldest rule wins. {@code exportTo} and {@code workloadSelector} are not evaluated (see
 * docs/policies.md). Thread-safe (reads an immutable snapshot).
 */
public final class DestinationRuleIndex {
  private final MeshSnapshot snapshot;

  public DestinationRuleIndex(MeshSnapshot snapshot) {
    this.snapshot = snapshot;
  }

  public Optional<Policy<DestinationRule>> forService(ServiceInfo service, String clientNamespace) {
    String root = snapshot.mesh().rootNamespace();
    for (String ns : List.of(clientNamespace, service.namespace(), root)) {
      Optional<Policy<DestinationRule>> found = inNamespace(ns, service);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private Optional<Policy<DestinationRule>> inNamespace(String ns, ServiceInfo service) {
    Policy<DestinationRule> wildcard = null;
    for (Policy<DestinationRule> dr : snapshot.destinationRulesIn(ns)) { // oldest first
      String host = qualify(dr.spec().getHost(), ns);
      if (host.equals(service.fqdn())) {
        return Optional.of(dr);
      }
      if (wildcard == null && host.startsWith("*") && service.fqdn().endsWith(host.substring(1))) {
        wildcard = dr;
      }
    }
    return Optional.ofNullable(wildcard);
  }

  /** Istio resolves a short host name in the rule's own namespace ({@code reviews} -> reviews.ns.svc.cluster.local). */
  String qualify(String host, String ns) {
    if (host.startsWith("*") || host.endsWith("." + snapshot.mesh().clusterDomain())) {
      return host;
    }
    int dots = host.length() - host.replace(".", "").length();
    if (dots == 0) {
      return host + "." + ns + ".svc." + snapshot.mesh().clusterDomain();
    }
    if (dots == 1) {
      return host + ".svc." + snapshot.mesh().clusterDomain();
    }
    if (host.endsWith(".svc")) {
      return host + "." + snapshot.mesh().clusterDomain();
    }
    return host;
  }

  /**
   * The client TLS settings for one port (and subset), Istio's precedence: subset port-level, subset, rule port-level,
   * rule. Empty when no level sets {@code tls} (auto-mTLS then applies).
   */
  public static Optional<ClientTLSSettings> tlsFor(DestinationRule dr, int port, String subset) {
    Optional<ClientTLSSettings> tls = tlsOf(dr.hasTrafficPolicy() ? dr.getTrafficPolicy() : null, port);
    if (!subset.isEmpty()) {
      for (Subset s : dr.getSubsetsList()) {
        if (s.getName().equals(subset) && s.hasTrafficPolicy()) {
          Optional<ClientTLSSettings> sub = tlsOf(s.getTrafficPolicy(), port);
          if (sub.isPresent()) {
            return sub;
          }
        }
      }
    }
    return tls;
  }

  private static Optional<ClientTLSSettings> tlsOf(TrafficPolicy tp, int port) {
    if (tp == null) {
      return Optional.empty();
    }
    for (TrafficPolicy.PortTrafficPolicy pl : tp.getPortLevelSettingsList()) {
      if (pl.getPort().getNumber() == port && pl.hasTls()) {
        return Optional.of(pl.getTls());
      }
    }
    return tp.hasTls() ? Optional.of(tp.getTls()) : Optional.empty();
  }
}
