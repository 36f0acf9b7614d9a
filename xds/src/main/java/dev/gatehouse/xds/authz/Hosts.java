package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;

/** {@code hosts}: the ":authority" header, case-insensitive (HTTP only). */
final class Hosts implements PermissionAttribute.PerValue {
  static final Hosts INSTANCE = new Hosts();

  @Override
  public Permission permission(String key, String value, ChainTarget target) throws Unavailable {
    target.requireHttp(key);
    return Permission.newBuilder().setHeader(Matchers.host(":authority", value, target)).build();
  }
}
