package dev.gatehouse.xds.authn;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which {@code jwksUri}s a sidecar can fetch itself in remote mode: those whose host and port are a service port of
 * the mesh, so that the outbound cluster {@code outbound|<port>||<host>} that {@code remote_jwks} names exists (Istio's
 * "hybrid" rule for PILOT_JWT_ENABLE_REMOTE_JWKS). Any other URI (an identity provider outside the mesh) has no such
 * cluster: Envoy could never fetch it, so Gatehouse fetches and inlines it instead. Pure.
 */
public final class MeshJwksHosts {
  private MeshJwksHosts() {}

  /** The subset of {@code uris} reachable through a mesh service's outbound cluster, sorted. */
  public static Set<String> reachableThroughMesh(MeshSnapshot mesh, Set<String> uris) {
    Set<String> out = new TreeSet<>();
    for (String uri : uris) {
      if (reachableThroughMesh(mesh, uri)) {
        out.add(uri);
      }
    }
    return out;
  }

  public static boolean reachableThroughMesh(MeshSnapshot mesh, String uri) {
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      return false;
    }
    if (u.getHost() == null) {
      return false;
    }
    String host = u.getHost().toLowerCase(Locale.ROOT);
    int port = u.getPort() >= 0 ? u.getPort() : "http".equalsIgnoreCase(u.getScheme()) ? 80 : 443;
    for (ServiceInfo s : mesh.services().values()) {
      if (s.fqdn().toLowerCase(Locale.ROOT).equals(host)) {
        for (ServicePort p : s.ports()) {
          if (p.port() == port) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
