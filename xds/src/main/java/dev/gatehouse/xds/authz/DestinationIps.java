package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;

/** {@code when: destination.ip}: destination_ip CIDR. */
final class DestinationIps implements PermissionAttribute.PerValue {
  static final DestinationIps INSTANCE = new DestinationIps();

  @Override
  public Permission permission(String key, String value, ChainTarget target) throws Untranslatable {
    return Permission.newBuilder().setDestinationIp(CidrBlock.parse(value)).build();
  }
}
