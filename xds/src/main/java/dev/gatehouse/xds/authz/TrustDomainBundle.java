package dev.gatehouse.xds.authz;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The mesh trust domain plus its aliases (Istio trustdomain.Bundle). Source principals whose trust domain is one of
 * them, "cluster.local", or a wildcard matching one of them, are rewritten for every domain of the bundle, so
 * identities issued under an old trust domain keep matching during a migration. Applied to every policy, with or
 * without aliases, as Istio's MigrateTrustDomain is: with a single trust domain "td", a principal written as
 * "cluster.local/ns/foo/sa/x" means "td/ns/foo/sa/x".
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

  /**
   * Istio ReplaceTrustDomainAliases, for principals ("<td>/ns/<ns>/sa/<sa>"). A principal whose trust domain is
   * enforced (not "*") and matches the bundle ({@link #matchesAny}) becomes one principal per bundle member: the
   * principal itself for members its wildcard trust domain matches, otherwise the principal with that member's
   * name. So "*bar/ns/foo/sa/x" with trust domain td1 and alias foobar gives "td1/ns/foo/sa/x" and
   * "*bar/ns/foo/sa/x". Anything else is kept as written.
   */
  List<String> replaceAliases(List<String> principals) {
    List<String> out = new ArrayList<>();
    for (String principal : principals) {
      String[] parts = principal.split("/", -1);
      if (parts.length != 5 || parts[0].equals("*")) {
        out.add(principal);
        continue;
      }
      String td = parts[0];
      if (!matchesAny(td) && !td.equals(CLUSTER_LOCAL)) {
        out.add(principal);
        continue;
      }
      Set<String> expanded = new LinkedHashSet<>();
      String rest = principal.substring(td.length());
      for (String member : trustDomains) {
        expanded.add(suffixMatch(member, td) ? principal : member + rest);
      }
      out.addAll(expanded);
    }
    return out;
  }

  /** Istio ExpandTrustDomainAliases, for trustDomains values: a bundle member stands for the whole bundle. */
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

  /**
   * Istio trustdomain.stringMatch: equal, or either side a wildcard ("*", "x*", "*x") matching the other. A
   * wildcard may sit in the policy's trust domain or in a configured alias.
   */
  boolean matchesAny(String td) {
    for (String member : trustDomains) {
      if (td.equals(member) || member.equals("*")
          || prefixMatch(td, member) || prefixMatch(member, td)
          || suffixMatch(td, member) || suffixMatch(member, td)) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatch(String candidate, String pattern) {
    return pattern.endsWith("*") && candidate.startsWith(pattern.substring(0, pattern.length() - 1));
  }

  private static boolean suffixMatch(String candidate, String pattern) {
    return pattern.startsWith("*") && candidate.endsWith(pattern.substring(1));
  }
}
