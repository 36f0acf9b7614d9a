package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import java.util.ArrayList;
import java.util.List;

/**
 * One Istio attribute of the "what" side of a rule (a {@code to.operation} field or a {@code when} key that
 * describes the destination), translated to an RBAC permission.
 */
interface PermissionAttribute {

  Permission permission(String key, List<String> values, ChainTarget target) throws Unavailable, Untranslatable;

  /** Per-value attributes: each field's values wrapped in or_rules, as Istio does. */
  interface PerValue extends PermissionAttribute {
    Permission permission(String key, String value, ChainTarget target) throws Unavailable, Untranslatable;

    @Override
    default Permission permission(String key, List<String> values, ChainTarget target)
        throws Unavailable, Untranslatable {
      List<Permission> or = new ArrayList<>(values.size());
      for (String v : values) {
        or.add(permission(key, v, target));
      }
      return Matchers.permissionOr(or);
    }
  }
}
