package dev.gatehouse.model;

import java.util.Objects;

/**
 * A kubelet probe of a pod's container, as far as the mesh cares: which port the kubelet connects to. The kubelet has
 * no mesh certificate, so a probe port that only accepts mTLS fails the probe (Istio rewrites HTTP probes to the
 * agent's port 15020 at injection; a pod spec read after injection shows the rewritten port).
 *
 * @param container the container declaring the probe
 * @param kind {@code liveness}, {@code readiness} or {@code startup}
 * @param handler {@code httpGet}, {@code tcpSocket} or {@code grpc}
 * @param port the port number; 0 when the probe names a port that the pod does not declare
 * @param portName the port name when the probe names one, else empty
 */
public record WorkloadProbe(String container, String kind, String handler, int port, String portName) {
  public WorkloadProbe {
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(handler, "handler");
    portName = portName == null ? "" : portName;
  }
}
