package dev.gatehouse.xds;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import dev.gatehouse.api.istio.networking.v1alpha3.TrafficPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ServiceInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which DestinationRule applies to a service for a client in a given namespace, Istio's lookup order: a rule in the
 * client's namespace, then in the service's namespace, then in the root namespace; within a namespace an exact host
 * beats a wildcard and the oldest rule wins. A rule counts for a client namespace only if its {@code exportTo} makes
 * it visible there (Istio: empty = {@code *}; {@code .} = the rule's own namespace; {@code ~} = nowhere; else
 * namespace names; {@code *} wins, then {@code ~}): a rule exported elsewhere does not apply even in its own
 * namespace. A rule without {@code exportTo} uses MeshConfig {@code defaultDestinationRuleExportTo} (default
 * {@code *}). {@code workloadSelector} is not evaluated (see docs/policies.md). Invalid exportTo entries are reported ({@link #errors()}) and ignored; a rule with no valid entry
 * is visible in its own namespace only. Thread-safe (reads an immutable snapshot).
 */
public final class DestinationRuleIndex {
  private final MeshSnapshot snapshot;
  private final Map<ObjectKey, Set<String>> exportTo = new HashMap<>();
  private final List<TranslationError> errors;
  private final Set<String> defaultExportTo;

  public DestinationRuleIndex(MeshSnapshot snapshot) {
    this.snapshot = snapshot;
    this.defaultExportTo = Set.copyOf(snapshot.mesh().defaultDestinationRuleExportTo());
    List<TranslationError> errs = new ArrayList<>();
    for (Policy<DestinationRule> dr : snapshot.destinationRules()) {
      List<String> values = dr.spec().getExportToList();
      if (values.isEmpty()) {
        continue;
      }
      ExportTo.Entries parsed = ExportTo.parse(values);
      Set<String> valid = parsed.valid();
      List<String> bad = parsed.bad();
      if (valid.isEmpty()) {
        errs.add(new TranslationError(dr.meta().describe(),
            "exportTo " + values + " has no valid value (\"*\", \".\", \"~\" or namespace names)",
            "the rule applies in its own namespace only until exportTo is fixed"));
        valid.add(MeshConfig.EXPORT_OWN_NAMESPACE);
      } else if (!bad.isEmpty()) {
        errs.add(new TranslationError(dr.meta().describe(),
            "exportTo " + values + ": " + String.join(", ", bad) + " is not \"*\", \".\", \"~\" or a namespace name",
            "ignored; the valid values " + valid + " apply"));
      }
      exportTo.put(dr.key(), Set.copyOf(valid));
    }
    errs.sort(Comparator.comparing(TranslationError::policy).thenComparing(TranslationError::message));
    this.errors = List.copyOf(errs);
  }

  private boolean everywhereByDefault() {
    return defaultExportTo.contains(MeshConfig.EXPORT_ALL);
  }

  /** Invalid exportTo values, sorted by rule. */
  public List<TranslationError> errors() {
    return errors;
  }

  private boolean visible(Policy<DestinationRule> dr, String clientNamespace) {
    return ExportTo.visible(exportTo.getOrDefault(dr.key(), defaultExportTo), dr.namespace(), clientNamespace);
  }

  public Optional<Policy<DestinationRule>> forService(ServiceInfo service, String clientNamespace) {
    String root = snapshot.mesh().rootNamespace();
    for (String ns : List.of(clientNamespace, service.namespace(), root)) {
      Optional<Policy<DestinationRule>> found = inNamespace(ns, service, clientNamespace);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private Optional<Policy<DestinationRule>> inNamespace(String ns, ServiceInfo service, String clientNamespace) {
    Policy<DestinationRule> wildcard = null;
    for (Policy<DestinationRule> dr : snapshot.destinationRulesIn(ns)) { // oldest first
      if ((!exportTo.isEmpty() || !everywhereByDefault()) && !visible(dr, clientNamespace)) {
        continue;
      }
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
