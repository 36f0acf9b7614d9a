package dev.gatehouse.model;

/**
 * A Service port.
 *
 * @param name port name (may be empty for single-port services); Istio infers protocol from a prefix such as
 *     {@code http-} or {@code grpc-}
 * @param port the service port
 * @param protocol TCP, UDP or SCTP
 * @param appProtocol the {@code appProtocol} field; may be empty
 * @param targetPort numeric target port, or 0 when {@code targetPortName} is used
 * @param targetPortName named target port resolved against container port names; empty when numeric
 */
public record ServicePort(
    String name, int port, String protocol, String appProtocol, int targetPort, String targetPortName) {
  public ServicePort {
    name = name == null ? "" : name;
    protocol = protocol == null || protocol.isBlank() ? "TCP" : protocol;
    appProtocol = appProtocol == null ? "" : appProtocol;
    targetPortName = targetPortName == null ? "" : targetPortName;
    if (targetPort == 0 && targetPortName.isEmpty()) {
      targetPort = port; // Kubernetes default: targetPort = port
    }
  }
}
