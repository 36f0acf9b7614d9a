package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/**
 * {@code serviceAccounts} / {@code source.serviceAccount}: "<ns>/<sa>", or "<sa>" in the policy's namespace
 * (Istio serviceAccountRegex). The regex tolerates extra SPIFFE path segments but not a longer account name.
 */
final class SourceServiceAccounts implements PrincipalAttribute.PerValue {
  private final String policyNamespace;

  SourceServiceAccounts(String policyNamespace) {
    this.policyNamespace = policyNamespace;
  }

  @Override
  public Principal principal(String key, String value, ChainTarget target) throws Untranslatable {
    String ns = policyNamespace;
    String sa = value;
    int slash = value.indexOf('/');
    if (slash >= 0) {
      ns = value.substring(0, slash);
      sa = value.substring(slash + 1);
    }
    if (ns.isEmpty() || sa.isEmpty() || sa.indexOf('/') >= 0) {
      throw new Untranslatable(key + ": \"" + value + "\" is not <namespace>/<serviceaccount>");
    }
    return Matchers.authenticated(
        Matchers.regex(
            "spiffe://.+/ns/" + Matchers.quote(ns) + "/(.+/|)sa/" + Matchers.quote(sa) + "(/.+)?"));
  }
}
