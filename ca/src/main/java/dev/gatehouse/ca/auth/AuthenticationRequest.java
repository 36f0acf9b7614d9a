package dev.gatehouse.ca.auth;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The credentials a caller presented on one gRPC call: the client certificate chain from the TLS handshake
 * (leaf first; empty on plaintext or when none was sent), the bearer token from {@code authorization: Bearer},
 * and Istio's optional {@code ClusterID} metadata. Nothing here is trusted yet.
 */
public record AuthenticationRequest(
    List<X509Certificate> peerChain, Optional<String> bearerToken, Optional<String> clusterId) {
  public AuthenticationRequest {
    peerChain = peerChain == null ? List.of() : List.copyOf(peerChain);
    bearerToken = Objects.requireNonNullElse(bearerToken, Optional.<String>empty()).filter(t -> !t.isBlank());
    clusterId = Objects.requireNonNullElse(clusterId, Optional.<String>empty()).filter(t -> !t.isBlank());
  }

  public static AuthenticationRequest none() {
    return new AuthenticationRequest(List.of(), Optional.empty(), Optional.empty());
  }

  public static AuthenticationRequest ofToken(String token) {
    return new AuthenticationRequest(List.of(), Optional.ofNullable(token), Optional.empty());
  }

  public static AuthenticationRequest ofPeerChain(List<X509Certificate> chain) {
    return new AuthenticationRequest(chain, Optional.empty(), Optional.empty());
  }
}
