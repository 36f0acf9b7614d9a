package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/** {@code when: request.headers[<name>]}: a header matcher (HTTP only). */
final class RequestHeaders implements PrincipalAttribute.PerValue {
  static final RequestHeaders INSTANCE = new RequestHeaders();
  static final String PREFIX = "request.headers";

  @Override
  public Principal principal(String key, String value, ChainTarget target) throws Unavailable, Untranslatable {
    String name = BracketedNames.single(key.substring(PREFIX.length()), key);
    target.requireHttp(key);
    if (target.proxyless() && (name.startsWith("grpc-") || name.equals(":scheme"))) {
      // grpc-java rejects these header names in RBAC (it would NACK the listener).
      throw new Unavailable("header \"" + name + "\" cannot be matched by proxyless gRPC");
    }
    return Principal.newBuilder().setHeader(Matchers.header(name, value, target)).build();
  }
}
