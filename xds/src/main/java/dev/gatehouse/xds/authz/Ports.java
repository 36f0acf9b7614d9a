package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;

/** {@code ports} / {@code destination.port}: destination_port, the workload (container) port. */
final class Ports implements PermissionAttribute.PerValue {
  static final Ports INSTANCE = new Ports();

  @Override
  public Permission permission(String key, String value, ChainTarget target) throws Untranslatable {
    int port;
    try {
      port = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new Untranslatable(key + ": invalid port \"" + value + "\"");
    }
    if (port < 0 || port > 65535) {
      throw new Untranslatable(key + ": port out of range \"" + value + "\"");
    }
    return Permission.newBuilder().setDestinationPort(port).build();
  }
}
