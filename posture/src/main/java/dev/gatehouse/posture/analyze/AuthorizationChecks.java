package dev.gatehouse.posture.analyze;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Rule.From;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.api.istio.security.v1beta1.Rule.To;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.AppliedPolicies;
import dev.gatehouse.posture.AuthorizationFacts;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.xds.InboundPort;
import dev.gatehouse.xds.PortProtocol;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * AuthorizationPolicy checks on the model: GH0006 (a namespace whose mesh workloads accept whatever no DENY rule
 * catches), GH0007 (ALLOW rules written as negations), GH0008 (HTTP-only conditions on a TCP port, which the
 * translation drops: an ALLOW rule then never matches, a DENY rule matches more). Pure.
 */
final class AuthorizationChecks {
  private AuthorizationChecks() {}

  static List<Finding> defaultDeny(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    TreeMap<String, List<Workload>> meshWorkloads = new TreeMap<>();
    for (Workload w : s.workloads().values()) {
      if (w.inMesh()) {
        meshWorkloads.computeIfAbsent(w.namespace(), k -> new ArrayList<>()).add(w);
      }
    }
    List<Finding> out = new ArrayList<>();
    meshWorkloads.forEach((ns, workloads) -> {
      if (AuthorizationFacts.hasDefaultDeny(s, ns)) {
        return;
      }
      TreeSet<String> open = new TreeSet<>();
      for (Workload w : workloads) {
        boolean allowPolicy = AppliedPolicies.authorization(s, w).stream()
            .anyMatch(p -> p.spec().getAction() == AuthorizationPolicy.Action.ALLOW
                && !AuthorizationFacts.dryRun(p.meta().annotations()));
        if (!allowPolicy) {
          open.add(w.name());
        }
      }
      if (open.isEmpty()) {
        out.add(Finding.of(FindingCode.GH0006, Severity.INFO, "Namespace " + ns,
            "no namespace-wide default deny; every workload has its own ALLOW policy today, but a new one will "
                + "accept every request that no DENY rule matches"));
      } else {
        out.add(Finding.of(FindingCode.GH0006, "Namespace " + ns,
            "no namespace-wide default deny, and workloads " + open + " have no ALLOW policy: they accept every "
                + "request that no DENY rule matches"));
      }
    });
    return out;
  }

  static List<Finding> negativeAllow(MeshPosture mesh) {
    List<Finding> out = new ArrayList<>();
    for (Policy<AuthorizationPolicy> p : mesh.snapshot().authorizationPolicies()) {
      if (p.spec().getAction() != AuthorizationPolicy.Action.ALLOW) {
        continue;
      }
      for (int i = 0; i < p.spec().getRulesCount(); i++) {
        Set<String> negations = negations(p.spec().getRules(i));
        if (!negations.isEmpty()) {
          out.add(Finding.of(FindingCode.GH0007, "AuthorizationPolicy " + p.key(),
              "ALLOW rule " + i + " matches by negation " + negations + ": it allows everything not listed, "
                  + "including callers and requests nobody thought of (e.g. no identity at all, another spelling "
                  + "of a path)"));
        }
      }
    }
    return out;
  }

  static Set<String> negations(Rule r) {
    Set<String> out = new LinkedHashSet<>();
    for (From f : r.getFromList()) {
      Source s = f.getSource();
      add(out, "notPrincipals", s.getNotPrincipalsCount());
      add(out, "notRequestPrincipals", s.getNotRequestPrincipalsCount());
      add(out, "notNamespaces", s.getNotNamespacesCount());
      add(out, "notServiceAccounts", s.getNotServiceAccountsCount());
      add(out, "notIpBlocks", s.getNotIpBlocksCount());
      add(out, "notRemoteIpBlocks", s.getNotRemoteIpBlocksCount());
      add(out, "notTrustDomains", s.getNotTrustDomainsCount());
    }
    for (To t : r.getToList()) {
      Operation o = t.getOperation();
      add(out, "notHosts", o.getNotHostsCount());
      add(out, "notPorts", o.getNotPortsCount());
      add(out, "notMethods", o.getNotMethodsCount());
      add(out, "notPaths", o.getNotPathsCount());
    }
    for (Condition c : r.getWhenList()) {
      add(out, "when " + c.getKey() + " notValues", c.getNotValuesCount());
    }
    return out;
  }

  private static void add(Set<String> out, String field, int count) {
    if (count > 0) {
      out.add(field);
    }
  }

  /** The HTTP-only conditions of a rule (Istio drops them on TCP chains). */
  static Set<String> httpOnlyFields(Rule r) {
    Set<String> out = new LinkedHashSet<>();
    for (From f : r.getFromList()) {
      Source s = f.getSource();
      add(out, "requestPrincipals", s.getRequestPrincipalsCount());
      add(out, "notRequestPrincipals", s.getNotRequestPrincipalsCount());
    }
    for (To t : r.getToList()) {
      Operation o = t.getOperation();
      add(out, "hosts", o.getHostsCount());
      add(out, "notHosts", o.getNotHostsCount());
      add(out, "methods", o.getMethodsCount());
      add(out, "notMethods", o.getNotMethodsCount());
      add(out, "paths", o.getPathsCount());
      add(out, "notPaths", o.getNotPathsCount());
    }
    for (Condition c : r.getWhenList()) {
      if (c.getKey().startsWith("request.")) {
        out.add("when " + c.getKey());
      }
    }
    return out;
  }

  static List<Finding> httpFieldsOnTcp(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    List<Finding> out = new ArrayList<>();
    for (Policy<AuthorizationPolicy> p : s.authorizationPolicies()) {
      for (int i = 0; i < p.spec().getRulesCount(); i++) {
        Rule rule = p.spec().getRules(i);
        Set<String> http = httpOnlyFields(rule);
        if (http.isEmpty()) {
          continue;
        }
        TreeSet<String> tcpPorts = new TreeSet<>();
        for (Workload w : new TreeMap<>(s.workloads()).values()) {
          if (!w.hasSidecar() || !AppliedPolicies.authorization(s, w).contains(p)) {
            continue; // proxyless gRPC servers are HTTP/2 on every port
          }
          for (InboundPort port : mesh.inboundPorts(w)) {
            if (port.declared() && port.protocol() == PortProtocol.TCP && rulePorts(rule, port.port())) {
              tcpPorts.add(w.name() + ":" + port.port());
            }
          }
        }
        if (tcpPorts.isEmpty()) {
          continue;
        }
        String effect = switch (p.spec().getAction()) {
          case ALLOW -> "on those ports the rule is dropped (it can never match), so the connections it means to "
              + "allow are denied";
          case DENY -> "on those ports only the HTTP conditions are dropped, so the rule denies every connection its "
              + "other conditions match (possibly all of them)";
          default -> "on those ports the HTTP conditions play no part";
        };
        out.add(Finding.of(FindingCode.GH0008, "AuthorizationPolicy " + p.key(),
            p.spec().getAction() + " rule " + i + " uses HTTP-only fields " + http + " and applies to TCP ports "
                + tcpPorts + ": " + effect));
      }
    }
    return out;
  }

  /** Whether a rule's {@code to.operation.ports} (if any) include the port. */
  private static boolean rulePorts(Rule r, int port) {
    boolean anyPorts = false;
    for (To t : r.getToList()) {
      if (t.getOperation().getPortsCount() > 0) {
        anyPorts = true;
        if (t.getOperation().getPortsList().contains(String.valueOf(port))) {
          return true;
        }
      }
    }
    return !anyPorts;
  }
}
