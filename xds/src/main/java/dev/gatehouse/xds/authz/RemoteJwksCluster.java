package dev.gatehouse.xds.authz;

import java.net.URI;

/**
 * The cluster a proxy uses to fetch a {@code jwksUri} itself ({@code remoteJwks} mode). As in Istio, this is the
 * outbound cluster of the URI's host and port ({@code outbound|<port>||<host>}), so the host must be a mesh service
 * or a ServiceEntry the proxy knows; the listener/cluster side must emit that cluster.
 */
public final class RemoteJwksCluster {
  private RemoteJwksCluster() {}

  public static String outboundClusterFor(URI uri) {
    int port = uri.getPort();
    if (port < 0) {
      port = "http".equalsIgnoreCase(uri.getScheme()) ? 80 : 443;
    }
    return "outbound|" + port + "||" + uri.getHost();
  }
}
