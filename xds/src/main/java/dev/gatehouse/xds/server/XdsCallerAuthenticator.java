package dev.gatehouse.xds.server;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Authenticates the caller of an xDS stream on the TLS port from what the transport carried: the client certificate
 * chain the TLS handshake verified (leaf first; empty when none was sent) and an {@code authorization: Bearer} token.
 * The control plane plugs in the CA's authenticators here (client certificate SPIFFE ID, then service-account JWT, as
 * istiod). Implementations are thread-safe, never throw for bad credentials, and are called once per stream.
 */
@FunctionalInterface
public interface XdsCallerAuthenticator {
  /** {@link StreamCaller#authenticated} or {@link StreamCaller#unauthenticated} (always {@code secure}). */
  StreamCaller authenticate(List<X509Certificate> peerChain, Optional<String> bearerToken);

  /**
   * The leaf certificate's SPIFFE URI SAN, trusting the TLS layer's chain verification; tokens are not accepted.
   * For tests and for deployments without a token authenticator.
   */
  static XdsCallerAuthenticator spiffeCertificates() {
    return (chain, token) -> {
      if (chain.isEmpty()) {
        return StreamCaller.unauthenticated("no client certificate" + (token.isPresent() ? "; tokens not accepted" : ""));
      }
      return XdsCallerInterceptor.spiffeId(chain.get(0))
          .map(StreamCaller::authenticated)
          .orElseGet(() -> StreamCaller.unauthenticated("client certificate has no SPIFFE URI SAN"));
    };
  }
}
