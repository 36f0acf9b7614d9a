package dev.gatehouse.posture.analyze;

import dev.gatehouse.model.Workload;
import dev.gatehouse.model.WorkloadProbe;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.MeshPosture.PortAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * GH0012: a port the kubelet probes, or Prometheus scrapes ({@code prometheus.io/port}), whose listener takes only
 * mTLS. Neither has a mesh certificate: a failing liveness probe restarts the pod, a failing readiness probe keeps it
 * out of its Service (error); a failing scrape loses the metrics (warning). Read from the proxy's listener, so
 * {@code gatehouse.xds.plaintext-inbound-ports} and portLevelMtls overrides count. Pure.
 */
final class ProbePortChecks {
  /** The agent's own ports (status, health, merged metrics) never pass the inbound listener. */
  private static final Set<Integer> AGENT_PORTS = Set.of(15020, 15021, 15090);

  private ProbePortChecks() {}

  static List<Finding> check(MeshPosture mesh) {
    List<Finding> out = new ArrayList<>();
    for (Workload w : new TreeMap<>(mesh.snapshot().workloads()).values()) {
      if (!w.inMesh()) {
        continue;
      }
      for (WorkloadProbe probe : w.probes()) {
        if (probe.port() > 0 && !AGENT_PORTS.contains(probe.port()) && strictOnly(mesh, w, probe.port())) {
          out.add(Finding.of(FindingCode.GH0012, "Pod " + w.key() + " port " + probe.port(),
              "the kubelet's " + probe.kind() + " probe (" + probe.handler() + ", container " + probe.container()
                  + ") connects without a mesh certificate, and the port takes only mTLS: the probe fails"));
        }
      }
      String scrape = w.meta().annotations().get("prometheus.io/port");
      if (scrape != null && !"false".equals(w.meta().annotations().get("prometheus.io/scrape"))) {
        int port = parsePort(scrape);
        if (port > 0 && !AGENT_PORTS.contains(port) && strictOnly(mesh, w, port)) {
          out.add(Finding.of(FindingCode.GH0012, Severity.WARNING, "Pod " + w.key() + " port " + port,
              "Prometheus scrapes this port (prometheus.io/port) without a mesh certificate, and the port takes "
                  + "only mTLS: the scrape fails"));
        }
      }
    }
    return out;
  }

  private static boolean strictOnly(MeshPosture mesh, Workload w, int port) {
    PortAccess access = mesh.access(w, port);
    return access.proxied() && !access.plaintext();
  }

  private static int parsePort(String s) {
    try {
      int p = Integer.parseInt(s.trim());
      return p >= 1 && p <= 65535 ? p : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
