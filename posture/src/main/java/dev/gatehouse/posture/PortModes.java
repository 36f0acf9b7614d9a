package dev.gatehouse.posture;

import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.EffectiveMtls;
import dev.gatehouse.xds.InboundPort;
import java.util.Optional;

/** The peer-authentication mode of one port and what decided it, as the translation resolved it. Pure. */
public final class PortModes {
  private PortModes() {}

  public static MtlsMode mode(MeshPosture mesh, Workload w, int port) {
    return mesh.inboundPorts(w).stream().filter(p -> p.port() == port).findFirst().map(InboundPort::mode)
        .orElse(mesh.mtls(w).workloadMode());
  }

  /** "PeerAuthentication shop/x portLevelMtls 8080", "PeerAuthentication istio-system/default", "mesh default"... */
  public static String decidedBy(MeshPosture mesh, Workload w, int port) {
    if (mesh.input().options().plaintextInboundPorts().contains(port)) {
      return "plaintext-inbound-ports option (probe/scrape port)";
    }
    EffectiveMtls mtls = mesh.mtls(w);
    Optional<Policy<PeerAuthentication>> workloadPolicy = mesh.peerAuthentication().workloadPolicy(w);
    if (workloadPolicy.isPresent() && mtls.portModes().containsKey(port)) {
      PeerAuthentication.MutualTLS m = workloadPolicy.get().spec().getPortLevelMtlsMap().get(port);
      if (m != null && m.getMode() != PeerAuthentication.MutualTLS.Mode.UNSET) {
        return workloadPolicy.get().meta().describe() + " portLevelMtls " + port;
      }
    }
    return mtls.source();
  }
}
