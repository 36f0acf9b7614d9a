package dev.gatehouse.model;

import java.util.List;
import java.util.Objects;

/**
 * A discovery.k8s.io/v1 EndpointSlice.
 *
 * @param serviceName the {@code kubernetes.io/service-name} label
 */
public record EndpointSliceInfo(ResourceMeta meta, String serviceName, List<Port> ports, List<Endpoint> endpoints)
    implements MeshObject {
  public EndpointSliceInfo {
    Objects.requireNonNull(meta, "meta");
    serviceName = serviceName == null ? "" : serviceName;
    ports = ports == null ? List.of() : List.copyOf(ports);
    endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
  }

  public ObjectKey serviceKey() {
    return ObjectKey.of(meta.namespace(), serviceName);
  }

  /** An EndpointSlice port: name matches the Service port name; port is the target (container) port. */
  public record Port(String name, int port, String protocol, String appProtocol) {
    public Port {
      name = name == null ? "" : name;
      protocol = protocol == null || protocol.isBlank() ? "TCP" : protocol;
      appProtocol = appProtocol == null ? "" : appProtocol;
    }
  }

  /**
   * One endpoint.
   *
   * @param ready conditions.ready (absent = ready, per the API)
   * @param podName targetRef name when the target is a Pod, else empty
   * @param zone topology zone; empty when unknown
   * @param weight load-balancing weight hint; 1 when not set
   */
  public record Endpoint(
      List<String> addresses, boolean ready, String podName, String nodeName, String zone, int weight) {
    public Endpoint {
      addresses = addresses == null ? List.of() : List.copyOf(addresses);
      podName = podName == null ? "" : podName;
      nodeName = nodeName == null ? "" : nodeName;
      zone = zone == null ? "" : zone;
      weight = weight <= 0 ? 1 : weight;
    }
  }
}
