package dev.gatehouse.xds;

import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-port view of a workload's inbound side: ports targeted by the Services selecting it (Istio builds a filter
 * chain per such port), ports with a portLevelMtls override, and the configured plaintext (probe/scrape) ports.
 * Every other port falls to the passthrough chains at the workload-level mode. Pure.
 *
 * <p>{@code subject} names the workload in notices (shared translations name the label set, not one pod).
 */
public final class InboundPorts {
  private InboundPorts() {}

  /**
   * Services whose selector matches the workload's labels. By labels rather than by pod key so a proxy whose pod the
   * snapshot does not know yet (and every replica sharing its labels) gets the same answer.
   */
  public static List<ServiceInfo> servicesSelecting(MeshSnapshot snapshot, Workload w) {
    List<ServiceInfo> out = new ArrayList<>();
    for (ServiceInfo s : snapshot.servicesInNamespace(w.namespace())) {
      if (dev.gatehouse.model.LabelSelector.serviceSelects(s.selector(), w.labels())) {
        out.add(s);
      }
    }
    return out;
  }

  /** Target (container) port of a Service port for one pod; 0 when a named target port is not declared by the pod. */
  public static int resolveTargetPort(ServicePort sp, Workload w) {
    if (sp.targetPortName().isEmpty()) {
      return sp.targetPort();
    }
    for (ContainerPort cp : w.ports()) {
      if (cp.name().equals(sp.targetPortName())) {
        return cp.port();
      }
    }
    return 0;
  }

  /** Sorted by port; one entry per port (the first Service to declare a port decides its protocol, as Istio). */
  public static List<InboundPort> of(
      MeshSnapshot snapshot,
      Workload w,
      EffectiveMtls mtls,
      TranslationOptions options,
      String subject,
      List<TranslationNotice> notices) {
    Map<Integer, PortProtocol> declared = new TreeMap<>();
    for (ServiceInfo s : servicesSelecting(snapshot, w)) {
      for (ServicePort sp : s.ports()) {
        if (!"TCP".equalsIgnoreCase(sp.protocol())) {
          continue;
        }
        int target = resolveTargetPort(sp, w);
        if (target <= 0) {
          notices.add(new TranslationNotice(subject,
              "Service " + s.key() + " port " + sp.port() + " targets port name '" + sp.targetPortName()
                  + "', which the pod does not declare; no inbound chain for it"));
          continue;
        }
        declared.putIfAbsent(target, PortProtocol.of(sp));
      }
    }
    Map<Integer, InboundPort> ports = new TreeMap<>();
    declared.forEach((port, protocol) -> ports.put(port, new InboundPort(port, protocol, mtls.modeFor(port), true)));
    List<Integer> containerPorts = new ArrayList<>();
    w.ports().forEach(cp -> containerPorts.add(cp.port()));
    for (Map.Entry<Integer, MtlsMode> e : mtls.portModes().entrySet()) {
      // A key matching no container/target port is reported once per policy by PeerAuthenticationResolver.
      if (!ports.containsKey(e.getKey()) && containerPorts.contains(e.getKey())) {
        ports.put(e.getKey(), new InboundPort(e.getKey(), PortProtocol.AUTO, e.getValue(), false));
      }
    }
    for (int p : options.plaintextInboundPorts()) {
      InboundPort existing = ports.get(p);
      MtlsMode would = existing != null ? existing.mode() : mtls.modeFor(p);
      if (would != MtlsMode.DISABLE) {
        notices.add(new TranslationNotice(subject + " port " + p,
            "left plaintext by the plaintextInboundPorts option (probe/scrape port); the peer-authentication mode "
                + "here would be " + would));
      }
      ports.put(p, new InboundPort(p, existing != null ? existing.protocol() : PortProtocol.AUTO, MtlsMode.DISABLE,
          existing != null && existing.declared()));
    }
    return List.copyOf(ports.values());
  }
}
