package dev.gatehouse.xds.authz;

/**
 * An attribute the chain being built cannot see: HTTP-only fields on a TCP chain (Istio), or jwt_authn metadata,
 * uri templates and other Envoy-only matchers on a proxyless gRPC server (Gatehouse). Istio's rule applies: an ALLOW
 * rule containing it is dropped (stricter); in a DENY or AUDIT rule only the condition is dropped (broader).
 */
final class Unavailable extends Exception {
  Unavailable(String message) {
    super(message, null, false, false);
  }
}
