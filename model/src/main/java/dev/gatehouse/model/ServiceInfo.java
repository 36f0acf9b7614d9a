package dev.gatehouse.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes Service.
 *
 * @param fqdn {@code <name>.<namespace>.svc.<clusterDomain>}
 * @param selector pod selector; empty for selector-less services (endpoints managed by hand)
 * @param clusterIp may be empty (the mock API server assigns none) or "None" for headless services
 */
public record ServiceInfo(
    ResourceMeta meta, String fqdn, List<ServicePort> ports, Map<String, String> selector, String clusterIp)
    implements MeshObject {
  public ServiceInfo {
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(fqdn, "fqdn");
    ports = ports == null ? List.of() : List.copyOf(ports);
    selector = selector == null ? Map.of() : Map.copyOf(selector);
    clusterIp = clusterIp == null ? "" : clusterIp;
  }

  public String name() {
    return meta.name();
  }

  public String namespace() {
    return meta.namespace();
  }

  public ObjectKey key() {
    return meta.key();
  }

  public boolean headless() {
    return "None".equals(clusterIp);
  }
}
