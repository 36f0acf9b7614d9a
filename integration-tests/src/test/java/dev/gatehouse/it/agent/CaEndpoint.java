package dev.gatehouse.it.agent;

import java.util.Objects;

/**
 * Where the agent finds the CA, as istio-agent is told by {@code CA_ADDR} plus the mounted root
 * ({@code istio-ca-root-cert} ConfigMap): an address, the TLS authority to verify the serving certificate against
 * (the CA is reached over loopback, but its certificate names a service DNS name), and the root to trust.
 *
 * @param host loopback address of the CA's TLS port
 * @param port the CA's TLS port (Gatehouse: gatehouse.grpc.secure-port, 15012 by default)
 * @param authority the DNS name the serving certificate must carry, e.g. {@code istiod.istio-system.svc}
 * @param rootCertPem PEM of the mesh root the serving certificate chains to
 */
public record CaEndpoint(String host, int port, String authority, String rootCertPem) {
  public CaEndpoint {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(rootCertPem, "rootCertPem");
    if (!host.startsWith("127.")) {
      throw new IllegalArgumentException("tests talk to loopback only, not " + host);
    }
  }
}
