package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/**
 * {@code remoteIpBlocks} / {@code remote.ip}: the original client address (remote_ip), taken from
 * X-Forwarded-For or the PROXY protocol according to the proxy's numTrustedProxies.
 */
final class RemoteIpBlocks implements PrincipalAttribute.PerValue {
  static final RemoteIpBlocks INSTANCE = new RemoteIpBlocks();

  @Override
  public Principal principal(String key, String value, ChainTarget target) throws Untranslatable {
    return Principal.newBuilder().setRemoteIp(CidrBlock.parse(value)).build();
  }
}
