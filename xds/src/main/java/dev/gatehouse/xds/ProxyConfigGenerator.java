package dev.gatehouse.xds;

import dev.gatehouse.model.MeshSnapshot;

/**
 * Pure function from a mesh snapshot and a proxy's identity to the resources that proxy must receive. No I/O, no
 * clock. Implementations must be thread-safe and should share work between proxies with the same inputs.
 */
public interface ProxyConfigGenerator {
  ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy);

  /**
   * Which proxies may get other resources from {@code next} than from {@code previous} (a superset is fine, a
   * subset never). The push sends {@code next} only to those. The default, for generators that cannot tell: all.
   */
  default ProxyScope changedSince(MeshSnapshot previous, MeshSnapshot next) {
    return ProxyScope.all();
  }
}
