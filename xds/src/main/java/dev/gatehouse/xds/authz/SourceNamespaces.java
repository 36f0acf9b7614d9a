package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/** {@code namespaces} / {@code source.namespace}: regex on the peer identity containing "/ns/<ns>/" ("*" allowed). */
final class SourceNamespaces implements PrincipalAttribute.PerValue {
  static final SourceNamespaces INSTANCE = new SourceNamespaces();

  @Override
  public Principal principal(String key, String value, ChainTarget target) {
    String[] literals = value.split("\\*", -1);
    StringBuilder ns = new StringBuilder();
    for (int i = 0; i < literals.length; i++) {
      if (i > 0) {
        ns.append(".*");
      }
      ns.append(Matchers.quote(literals[i]));
    }
    return Matchers.authenticated(Matchers.regex(".*/ns/" + ns + "/.*"));
  }
}
