package dev.gatehouse.xds.authz;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The mesh trust domain plus its aliases (Istio trustdomain.Bundle). Source principals naming any of them, or
 * "cluster.local", are expanded to every domain of the bundle, so identities issued under an old trust domain keep
 * matching during a migration. Only used when aliases exist, as in Istio.
 */
record TrustDomainBundle(List<String> trustDomains) {
  private static final String CLUSTER_LOCAL = "cluster.local";

  TrustDomainBundle {
    trustDomains = List.copyOf(trustDomains);
  }

  static TrustDomainBundle of(String trustDomain, List<String> aliases) {
    List<String> all = new ArrayList<>();
    all.add(trustDomain);
    all.addAll(aliases);
    return new TrustDomainBundle(all);
  }

  boolean hasAliases() {
    return trustDomains.size() > 1;
  }

  /** Istio ReplaceTrustDomainAliases, for principals ("<td>/ns/<ns>/sa/<sa>"). */
  List<String> replaceAliases(List<String> principals) {
    List<String> out = new ArrayList<>();
    for (String principal : principals) {
      String[] parts = principal.split("/", -1);
      if (parts.length != 5 || parts[0].equals("*")) {
        out.add(principal);
        continue;
      }
      String td = parts[0];
      if (trustDomains.contains(td) || td.equals(CLUSTER_LOCAL)) {
        Set<String> expanded = new LinkedHashSet<>();
        String rest = principal.substring(td.length());
        for (String t : trustDomains) {
          expanded.add(suffixMatch(t, td) ? principal : t + rest);
        }
        out.addAll(expanded);
      } else {
        out.add(principal);
      }
    }
    return out;
  }

  /** Istio ExpandTrustDomainAliases, for trustDomains values. */
  List<String> expandAliases(List<String> values) {
    Set<String> out = new LinkedHashSet<>();
    for (String v : values) {
      if (trustDomains.contains(v)) {
        out.addAll(trustDomains);
      } else {
        out.add(v);
      }
    }
    return List.copyOf(out);
  }

  private static boolean suffixMatch(String candidate, String fromPrincipal) {
    if (fromPrincipal.startsWith("*")) {
      return candidate.endsWith(fromPrincipal.substring(1));
    }
    return candidate.equals(fromPrincipal);
  }
}
