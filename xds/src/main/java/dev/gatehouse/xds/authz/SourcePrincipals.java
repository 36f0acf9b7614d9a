package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/** {@code principals} / {@code source.principal}: the peer's mTLS identity, "spiffe://" + value. */
final class SourcePrincipals implements PrincipalAttribute.PerValue {
  static final SourcePrincipals INSTANCE = new SourcePrincipals();

  @Override
  public Principal principal(String key, String value, ChainTarget target) {
    return Matchers.authenticated(Matchers.withPrefix(value, "spiffe://"));
  }
}
