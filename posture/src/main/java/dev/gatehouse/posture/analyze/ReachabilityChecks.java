package dev.gatehouse.posture.analyze;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.MeshPosture.PortAccess;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explainer;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.xds.InboundPorts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Connections that the config makes fail, found on the resources the proxies receive:
 * GH0003, a Service port whose pods' listeners take only mTLS while pods without a mesh identity (no proxy) exist
 * that would call it in plaintext; GH0004, mesh clients whose cluster for a Service sends ISTIO_MUTUAL to a pod that
 * has no proxy to terminate it (worked out by {@link Explainer} from one client per namespace). Pure.
 */
final class ReachabilityChecks {
  private static final int SHOWN = 3;

  private ReachabilityChecks() {}

  static List<Finding> plaintextClientsToStrict(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    List<String> clients = new ArrayList<>();
    for (Workload w : sorted(s)) {
      if (!w.inMesh()) {
        clients.add(w.key().toString());
      }
    }
    if (clients.isEmpty()) {
      return List.of();
    }
    List<Finding> out = new ArrayList<>();
    for (ServiceInfo svc : new TreeMap<>(s.services()).values()) {
      TreeSet<String> refused = new TreeSet<>();
      for (Workload w : sorted(s)) {
        if (!w.inMesh() || !InboundPorts.servicesSelecting(s, w).contains(svc)) {
          continue;
        }
        for (ServicePort sp : svc.ports()) {
          int target = InboundPorts.resolveTargetPort(sp, w);
          if (target <= 0 || !"TCP".equalsIgnoreCase(sp.protocol())) {
            continue;
          }
          PortAccess access = mesh.access(w, target);
          if (access.proxied() && access.mtls() && !access.plaintext()) {
            refused.add(sp.port() + (target != sp.port() ? "->" + target : ""));
          }
        }
      }
      if (!refused.isEmpty()) {
        out.add(Finding.of(FindingCode.GH0003, "Service " + svc.key(),
            "port(s) " + refused + " take only mTLS, and " + clients.size() + " pod(s) without a mesh identity "
                + shown(clients) + " would call them in plaintext: those connections are refused"));
      }
    }
    return out;
  }

  static List<Finding> istioMutualToSidecarless(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    Map<String, Workload> clientPerNamespace = new TreeMap<>();
    for (Workload w : sorted(s)) {
      if (w.inMesh()) {
        clientPerNamespace.putIfAbsent(w.namespace(), w);
      }
    }
    Map<String, TreeSet<String>> byObject = new LinkedHashMap<>();
    Map<String, String> detail = new LinkedHashMap<>();
    for (Workload dest : sorted(s)) {
      if (dest.inMesh()) {
        continue;
      }
      for (ServiceInfo svc : InboundPorts.servicesSelecting(s, dest)) {
        for (ServicePort sp : svc.ports()) {
          int target = InboundPorts.resolveTargetPort(sp, dest);
          if (target <= 0 || !"TCP".equalsIgnoreCase(sp.protocol())) {
            continue;
          }
          for (Workload client : clientPerNamespace.values()) {
            Explanation e = Explainer.explain(mesh, new ExplainRequest(dest.key().toString(), target, "",
                client.key().toString(), false, "", "", "", Map.of(), Map.of()));
            if (!e.client().sends().equals("plaintext") && !e.verdict().equals(Explanation.ALLOW)) {
              String object = e.decidedBy().kind().equals("DestinationRule")
                  ? "DestinationRule " + e.decidedBy().policy() : "Service " + svc.key();
              byObject.computeIfAbsent(object, k -> new TreeSet<>()).add(client.namespace());
              detail.putIfAbsent(object, "Service " + svc.key() + " port " + sp.port() + " -> pod " + dest.key()
                  + " (no proxy)");
            }
          }
        }
      }
    }
    List<Finding> out = new ArrayList<>();
    byObject.forEach((object, namespaces) -> out.add(Finding.of(FindingCode.GH0004, object,
        "mesh clients in " + namespaces + " send ISTIO_MUTUAL on " + detail.get(object)
            + ": nothing terminates the TLS and the connection fails")));
    return out;
  }

  /**
   * GH0018: mesh clients whose own config sends plaintext to a port that takes only mTLS, so every call fails: the
   * destination pods lack the {@code security.istio.io/tlsMode=istio} label auto-mTLS reads from the endpoint, or a
   * DestinationRule sets {@code tls.mode: DISABLE}. Worked out by {@link Explainer} from one client per namespace.
   */
  static List<Finding> meshClientsPlaintextToStrict(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    Map<String, Workload> clientPerNamespace = new TreeMap<>();
    for (Workload w : sorted(s)) {
      if (w.inMesh()) {
        clientPerNamespace.putIfAbsent(w.namespace(), w);
      }
    }
    Map<String, TreeSet<String>> byService = new LinkedHashMap<>();
    Map<String, String> detail = new LinkedHashMap<>();
    for (Workload dest : sorted(s)) {
      if (!dest.inMesh()) {
        continue;
      }
      for (ServiceInfo svc : InboundPorts.servicesSelecting(s, dest)) {
        for (ServicePort sp : svc.ports()) {
          int target = InboundPorts.resolveTargetPort(sp, dest);
          if (target <= 0 || !"TCP".equalsIgnoreCase(sp.protocol()) || !mesh.access(dest, target).strict()) {
            continue;
          }
          for (Workload client : clientPerNamespace.values()) {
            if (client.key().equals(dest.key())) {
              continue;
            }
            Explanation e = Explainer.explain(mesh, new ExplainRequest(dest.key().toString(), target, "",
                client.key().toString(), false, "", "", "", Map.of(), Map.of()));
            if (e.client().sends().equals("plaintext") && e.verdict().equals(Explanation.DENY)
                && e.decidedBy().kind().equals("PeerAuthentication")) {
              String object = "Service " + svc.key();
              byService.computeIfAbsent(object, k -> new TreeSet<>()).add(client.namespace());
              detail.putIfAbsent(object, "port " + sp.port() + " -> pod " + dest.key() + " (" + e.client().via()
                  + ")");
            }
          }
        }
      }
    }
    List<Finding> out = new ArrayList<>();
    byService.forEach((object, namespaces) -> out.add(Finding.of(FindingCode.GH0018, object,
        "mesh clients in " + namespaces + " send plaintext on " + detail.get(object)
            + ", and the port takes only mTLS: those calls are refused")));
    return out;
  }

  private static List<Workload> sorted(MeshSnapshot s) {
    return new TreeMap<>(s.workloads()).values().stream().toList();
  }

  private static String shown(List<String> names) {
    List<String> first = names.subList(0, Math.min(SHOWN, names.size()));
    return first + (names.size() > SHOWN ? " and " + (names.size() - SHOWN) + " more" : "");
  }
}
