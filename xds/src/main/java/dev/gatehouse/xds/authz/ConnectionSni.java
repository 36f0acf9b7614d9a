package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;

/** {@code when: connection.sni}: requested_server_name of the TLS connection. */
final class ConnectionSni implements PermissionAttribute.PerValue {
  static final ConnectionSni INSTANCE = new ConnectionSni();

  @Override
  public Permission permission(String key, String value, ChainTarget target) {
    return Permission.newBuilder().setRequestedServerName(Matchers.string(value)).build();
  }
}
