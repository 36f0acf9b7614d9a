package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Policy;


/** Fixed RBAC policies used for empty and failed AuthorizationPolicies. */
final class RbacPolicies {
  private RbacPolicies() {}

  /** Istio rbacPolicyMatchNever: not(any) / not(any). */
  static final Policy MATCH_NEVER =
      Policy.newBuilder()
          .addPermissions(Matchers.permissionNot(Matchers.permissionAny()))
          .addPrincipals(Matchers.principalNot(Matchers.principalAny()))
          .build();

  /** Matches every request and connection. */
  static final Policy MATCH_ALL =
      Policy.newBuilder()
          .addPermissions(Matchers.permissionAny())
          .addPrincipals(Matchers.principalAny())
          .build();

}
