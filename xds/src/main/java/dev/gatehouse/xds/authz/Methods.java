package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;

/** {@code methods}: the ":method" header (HTTP only; gRPC requests are always POST). */
final class Methods implements PermissionAttribute.PerValue {
  static final Methods INSTANCE = new Methods();

  @Override
  public Permission permission(String key, String value, ChainTarget target) throws Unavailable {
    target.requireHttp(key);
    return Permission.newBuilder().setHeader(Matchers.header(":method", value, target)).build();
  }
}
