package dev.gatehouse.posture.explain;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@code gatehouse explain}: one request (or TCP connection) to a pod's port.
 *
 * @param to the destination pod, {@code namespace/name}
 * @param port the destination (container) port
 * @param from the caller's SPIFFE ID: a mesh client presenting that certificate; empty for none
 * @param fromPod the calling pod, {@code namespace/name}: its own proxy's config decides how it connects; empty for
 *     none
 * @param plaintext the caller connects without TLS whatever its proxy would do (a client outside the mesh, a probe)
 * @param method HTTP method; empty: GET (POST for gRPC servers)
 * @param path HTTP path; empty: "/"
 * @param host HTTP authority; empty: the Service's name
 * @param headers request headers
 * @param jwtClaims the claims of a bearer token the caller presents (signature assumed valid); empty: no token
 */
public record ExplainRequest(
    String to,
    int port,
    String from,
    String fromPod,
    boolean plaintext,
    String method,
    String path,
    String host,
    Map<String, String> headers,
    Map<String, Object> jwtClaims) {

  public ExplainRequest {
    Objects.requireNonNull(to, "to");
    from = from == null ? "" : from;
    fromPod = fromPod == null ? "" : fromPod;
    method = method == null ? "" : method;
    path = path == null ? "" : path;
    host = host == null ? "" : host;
    headers = headers == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
    jwtClaims = jwtClaims == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(jwtClaims));
  }

  /** Any attribute only an HTTP request has. */
  public boolean hasHttpAttributes() {
    return !method.isEmpty() || !path.isEmpty() || !host.isEmpty() || !headers.isEmpty() || !jwtClaims.isEmpty();
  }

  /** A request's problems before any mesh lookup, or null: what a user must fix in the arguments. */
  public String problem() {
    if (port < 1 || port > 65535) {
      return "--port must be 1-65535, got " + port;
    }
    if (!from.isEmpty() && !fromPod.isEmpty()) {
      return "give --from or --from-pod, not both";
    }
    if (!from.isEmpty() && !from.startsWith("spiffe://")) {
      return "--from must be a SPIFFE ID (spiffe://<trust domain>/ns/<namespace>/sa/<service account>), got " + from;
    }
    if (!from.isEmpty() && plaintext) {
      return "--from names a certificate; --plaintext means none: give one of them";
    }
    return null;
  }
}
