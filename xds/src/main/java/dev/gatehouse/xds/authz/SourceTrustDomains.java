package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/** {@code trustDomains} / {@code source.trustDomain}: prefix "spiffe://<td>/" on the peer identity. */
final class SourceTrustDomains implements PrincipalAttribute.PerValue {
  static final SourceTrustDomains INSTANCE = new SourceTrustDomains();

  @Override
  public Principal principal(String key, String value, ChainTarget target) {
    if (value.equals("*")) {
      return Matchers.authenticated(Matchers.prefix("spiffe://", false));
    }
    int star = value.indexOf('*');
    if (star < 0) {
      return Matchers.authenticated(Matchers.prefix("spiffe://" + value + "/", false));
    }
    String td = Matchers.quote(value.substring(0, star)) + "[^/]*" + Matchers.quote(value.substring(star + 1));
    return Matchers.authenticated(Matchers.regex("spiffe://" + td + "/.*"));
  }
}
